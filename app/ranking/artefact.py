"""The per-shop model artefact: everything heavy, computed by a job, loaded by servers.

Rows are products (by platform id). Saved as one ``.npz`` plus a small JSON header in a
versioned folder; a pointer file names the current version, so a swap is atomic.

The header names the shop's customers and the archive holds one row of factors per
customer: files for the owner only, the current and one previous version kept (a server
may still be loading it), and a redacted customer scrubbed out of the current version with
every other version deleted (``scrub_customers``)."""

import json
import os
import shutil
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from app.crypto.file_modes import PRIVATE_FILE, private_folder
from app.ranking.nextbasket import unit_rows
from app.storage.database import utcnow

Floats = npt.NDArray[np.float32]
POINTER = "CURRENT"
KEEP_PREVIOUS = 1
SCRUBBED = "~"
"""Separates a version from the stamp of the rewrite that scrubbed customers out of it."""
# One writer at a time per process: a scrub and a training save both move the pointer.
_WRITING = threading.Lock()


@dataclass
class ModelArtefact:
    version: str
    as_of: datetime
    product_ids: list[str]
    item_factors: Floats
    customer_ids: list[str]
    user_factors: Floats
    regularization: float
    idf: Floats
    average_length: float
    neighbours: sparse.csr_matrix
    popularity: Floats
    trend: Floats
    trend_raw: Floats
    repeat_rate: Floats
    trained_at: datetime = field(default_factory=utcnow)
    sales_keys: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    """Sorted (product row, day) keys, one per order holding the product (``ranking.sales``)."""
    customer_best: npt.NDArray[np.int32] | None = None
    """Each customer's best rows by ALS score, best first (``collaborative.customer_best_rows``);
    ``None`` in an artefact saved before they were kept: computed per request then."""
    customer_scale: Floats | None = None
    """Each customer's largest absolute ALS score over all rows (with ``customer_best``)."""
    customer_personal: sparse.csr_matrix | None = None
    """Customers x products: each customer's grouped, decayed purchase frequencies
    (``ranking.nextbasket``); ``None`` in an artefact saved before they were kept."""
    customer_around: sparse.csr_matrix | None = None
    """Customers x products: the mean personal vector of each customer's nearest customers."""
    transitions: sparse.csr_matrix | None = None
    """Products x products: what followed each product in orders (``ranking.session_intent``);
    ``None`` in an artefact saved before they were kept."""

    def __post_init__(self) -> None:
        self.row_of = {p: i for i, p in enumerate(self.product_ids)}
        self.user_row = {c: i for i, c in enumerate(self.customer_ids)}
        self.customer_unit = (None if self.customer_personal is None
                              else unit_rows(self.customer_personal))

    @property
    def size(self) -> int:
        return len(self.product_ids)


def shop_folder(models_dir: Path, shop_id: int) -> Path:
    return models_dir / f"shop-{shop_id}"


def save_artefact(models_dir: Path, shop_id: int, model: ModelArtefact) -> Path:
    """Write ``model`` as a new version, make it current, delete all but one older one."""
    with _WRITING:
        folder = _write_version(models_dir, shop_id, model)
        _delete_versions(shop_folder(models_dir, shop_id), keep=KEEP_PREVIOUS)
    return folder


def _write_version(models_dir: Path, shop_id: int, model: ModelArtefact) -> Path:
    folder = private_folder(shop_folder(models_dir, shop_id) / model.version)
    n = model.neighbours.tocsr()
    arrays: dict[str, npt.NDArray[Any]] = {
        "item_factors": model.item_factors, "user_factors": model.user_factors,
        "idf": model.idf, "popularity": model.popularity, "trend": model.trend,
        "trend_raw": model.trend_raw, "repeat_rate": model.repeat_rate,
        "sales_keys": model.sales_keys,
        "nb_data": n.data, "nb_indices": n.indices, "nb_indptr": n.indptr}
    if model.customer_best is not None and model.customer_scale is not None:
        arrays.update(customer_best=model.customer_best, customer_scale=model.customer_scale)
    for name in ("customer_personal", "customer_around", "transitions"):
        matrix = getattr(model, name)
        if matrix is not None:
            arrays.update(_sparse_arrays(name, matrix))
    np.savez(folder / "model.npz", **arrays)  # type: ignore[arg-type]  # names are arrays
    header = {"version": model.version, "as_of": model.as_of.isoformat(),
              "trained_at": model.trained_at.isoformat(),
              "product_ids": model.product_ids, "customer_ids": model.customer_ids,
              "regularization": model.regularization, "average_length": model.average_length}
    (folder / "header.json").write_text(json.dumps(header))
    for written in (folder / "model.npz", folder / "header.json"):
        written.chmod(PRIVATE_FILE)
    _move_pointer(shop_folder(models_dir, shop_id), model.version)
    return folder


def _sparse_arrays(name: str, matrix: sparse.csr_matrix) -> dict[str, npt.NDArray[Any]]:
    m = matrix.tocsr()
    return {f"{name}_data": m.data, f"{name}_indices": m.indices, f"{name}_indptr": m.indptr}


def _sparse_from(z: Any, name: str, shape: tuple[int, int]) -> sparse.csr_matrix | None:
    """A matrix written by ``_sparse_arrays``; ``None`` in an archive without it."""
    if f"{name}_data" not in z.files:
        return None
    return sparse.csr_matrix(
        (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]), shape=shape)


def _move_pointer(shop_dir: Path, version: str) -> None:
    pointer = shop_dir / POINTER
    tmp = pointer.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(version)
    tmp.chmod(PRIVATE_FILE)
    os.replace(tmp, pointer)


def adopt_version(models_dir: Path, shop_id: int, staged: Path, version: str) -> None:
    """Make current a version written elsewhere and copied into ``staged`` (a folder beside
    the versions), then delete all but one older version, as ``save_artefact`` does; every
    older one if it is a scrubbed rewrite (they may name the customers it no longer does)."""
    with _WRITING:
        shop_dir = shop_folder(models_dir, shop_id)
        target = shop_dir / version
        if not target.is_dir():  # another process on this machine may have adopted it
            os.replace(staged, target)
        _move_pointer(shop_dir, version)
        _delete_versions(shop_dir, keep=0 if SCRUBBED in version else KEEP_PREVIOUS)


def _delete_versions(shop_dir: Path, keep: int) -> None:
    """Delete every version folder but the current one and the ``keep`` newest others."""
    pointer = shop_dir / POINTER
    current = pointer.read_text().strip() if pointer.is_file() else None
    others = sorted((f for f in shop_dir.iterdir() if f.is_dir() and f.name != current),
                    key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for folder in others[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def scrub_customers(models_dir: Path, shop_id: int, customer_ids: set[str]) -> int:
    """Rewrite the current version without these customers and delete every other version
    (each may name them); returns how many customers the current version named."""
    shop_dir = shop_folder(models_dir, shop_id)
    with _WRITING:
        version = current_version(models_dir, shop_id)
        if version is None:
            return 0
        model = load_artefact(models_dir, shop_id, version)
        kept = np.array([c not in customer_ids for c in model.customer_ids], dtype=bool)
        removed = int((~kept).sum())
        if removed:
            stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
            _write_version(models_dir, shop_id, replace(
                model, version=f"{version.split(SCRUBBED)[0]}{SCRUBBED}{stamp}",
                customer_ids=[c for c, k in zip(model.customer_ids, kept, strict=True) if k],
                user_factors=model.user_factors[kept],
                customer_best=None if model.customer_best is None else model.customer_best[kept],
                customer_scale=None if model.customer_scale is None else model.customer_scale[kept],
                customer_personal=_rows(model.customer_personal, kept),
                customer_around=_rows(model.customer_around, kept),
            ))
        _delete_versions(shop_dir, keep=0)
    return removed


def _rows(matrix: sparse.csr_matrix | None,
          kept: npt.NDArray[np.bool_]) -> sparse.csr_matrix | None:
    return None if matrix is None else sparse.csr_matrix(matrix.tocsr()[np.flatnonzero(kept)])


def delete_shop_artefacts(models_dir: Path, shop_id: int) -> None:
    """Every version of the shop's model, and its folder."""
    with _WRITING:
        shutil.rmtree(shop_folder(models_dir, shop_id), ignore_errors=True)


def current_version(models_dir: Path, shop_id: int) -> str | None:
    pointer = shop_folder(models_dir, shop_id) / POINTER
    return pointer.read_text().strip() if pointer.is_file() else None


def load_artefact(models_dir: Path, shop_id: int, version: str) -> ModelArtefact:
    folder = shop_folder(models_dir, shop_id) / version
    header = json.loads((folder / "header.json").read_text())
    with np.load(folder / "model.npz") as z:
        n_items = len(header["product_ids"])
        customers = (len(header["customer_ids"]), n_items)
        neighbours = sparse.csr_matrix(
            (z["nb_data"], z["nb_indices"], z["nb_indptr"]), shape=(n_items, n_items))
        return ModelArtefact(
            version=header["version"], as_of=datetime.fromisoformat(header["as_of"]),
            product_ids=header["product_ids"], item_factors=z["item_factors"],
            customer_ids=header["customer_ids"], user_factors=z["user_factors"],
            regularization=float(header["regularization"]), idf=z["idf"],
            average_length=float(header["average_length"]), neighbours=neighbours,
            popularity=z["popularity"], trend=z["trend"], trend_raw=z["trend_raw"],
            repeat_rate=z["repeat_rate"],
            sales_keys=z["sales_keys"] if "sales_keys" in z.files else np.zeros(0, np.int64),
            customer_best=z["customer_best"] if "customer_best" in z.files else None,
            customer_scale=z["customer_scale"] if "customer_scale" in z.files else None,
            customer_personal=_sparse_from(z, "customer_personal", customers),
            customer_around=_sparse_from(z, "customer_around", customers),
            transitions=_sparse_from(z, "transitions", (n_items, n_items)),
            trained_at=datetime.fromisoformat(header.get("trained_at", header["as_of"])),
        )
