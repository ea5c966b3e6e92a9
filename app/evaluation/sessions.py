"""Session protocol on the guest invoices: a shopper with no history views the first half
of a basket (sent as PRODUCT_VIEWED events through the events service); the rest of the
basket is the target. Measures cold-start sessions; fit on customer baskets before the cut."""

import csv
import gzip
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.datasets.online_retail import read_baskets, read_products
from app.embeddings.protocol import Embedder
from app.evaluation.harness import Loaded, Replay, load
from app.evaluation.metrics import MetricSums
from app.evaluation.references import References
from app.evaluation.tuning import Case, cases_from
from app.events.service import track_events
from app.events.types import FULL_CONSENT, EventIn, EventType
from app.ids import VisitorId
from app.profiles.service import Shopper
from app.ranking.blend import BlendWeights, load_weights
from app.ranking.rules import RuleSettings
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement
from app.storage.database import transaction

DEFAULT_CUT = datetime(2011, 10, 1, tzinfo=UTC)
MIN_ITEMS = 4
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GuestSession:
    invoice: str
    at: datetime
    viewed: tuple[str, ...]
    target: frozenset[str]


def read_guest_sessions(root: Path, products: set[str], since: datetime) -> list[GuestSession]:
    """Guest invoices (no customer id, no cancellation) as view-then-buy sessions."""
    lines: dict[str, tuple[datetime, dict[str, None]]] = {}
    with gzip.open(root / "online_retail.csv.gz", "rt", newline="") as handle:
        for r in csv.DictReader(handle):
            if r["CustomerID"] or r["InvoiceNo"].startswith("C") or r["StockCode"] not in products:
                continue
            if int(r["Quantity"]) <= 0 or float(r["UnitPrice"]) <= 0:
                continue
            at = datetime.fromisoformat(r["InvoiceDate"]).replace(tzinfo=UTC)
            lines.setdefault(r["InvoiceNo"], (at, {}))[1][r["StockCode"]] = None
    sessions = []
    for invoice, (at, items) in sorted(lines.items(), key=lambda kv: kv[1][0]):
        codes = list(items)
        if len(codes) < MIN_ITEMS or at < since:
            continue
        half = len(codes) // 2
        sessions.append(GuestSession(invoice, at, tuple(codes[:half]),
                                     frozenset(codes[half:]) - set(codes[:half])))
    return sessions


async def _views(loaded: Loaded, guest: GuestSession) -> None:
    events = [EventIn(type=EventType.PRODUCT_VIEWED.value, visitor_id=f"guest-{guest.invoice}",
                      event_id=f"{guest.invoice}-{n}", product_id=p, occurred_at=guest.at)
              for n, p in enumerate(guest.viewed)]
    async with transaction(loaded.sessions) as session:
        await track_events(session, loaded.shop, events, guest.at, FULL_CONSENT,
                           [loaded.session_state])


def _request(loaded: Loaded, guest: GuestSession) -> RecommendationRequest:
    return RecommendationRequest(
        shop_id=loaded.shop, placement=Placement.HOME,
        shopper=Shopper(VisitorId(f"guest-{guest.invoice}"), None, True), first=100, now=guest.at)


async def _ranked(loaded: Loaded, guest: GuestSession) -> list[str]:
    async with transaction(loaded.sessions) as session:
        result = await loaded.engine.recommend(session, _request(loaded, guest))
    return [i.product.platform_id for i in result.items]


async def guest_cases(loaded: Loaded, guests: list[GuestSession]) -> list[Case]:
    """The scored candidates of each guest after its views (to fit ``ANONYMOUS``)."""
    scored, targets = [], []
    for guest in guests:
        await _views(loaded, guest)
        async with transaction(loaded.sessions) as session:
            scored.append(await loaded.engine.scored_candidates(session, _request(loaded, guest)))
        targets.append(guest.target)
    return cases_from(scored, targets)


async def measure(loaded: Loaded, refs: References, guests: list[GuestSession],
                  progress: Progress | None = None) -> dict[str, dict[str, float | int]]:
    affinity, popular = MetricSums(), MetricSums()
    for n, guest in enumerate(guests):
        await _views(loaded, guest)
        affinity.add(await _ranked(loaded, guest), set(guest.target))
        popular.add([i for i in refs.popularity("") if i not in guest.viewed], set(guest.target))
        if progress and (n + 1) % 100 == 0:
            progress("sessions", n + 1, len(guests))
    return {"affinity": affinity.summary(), "popularity": popular.summary()}


async def load_sessions(data_root: Path, embedder: Embedder, folder: Path, cut: datetime,
                        weights: BlendWeights, progress: Progress | None = None,
                        ) -> tuple[Loaded, References, list[GuestSession]]:
    fit = [b for b in read_baskets(data_root) if b.placed_at < cut]
    catalog = {p.platform_id for p in read_products(data_root)}
    guests = read_guest_sessions(data_root, catalog, cut)
    loaded = await load(f"sqlite+aiosqlite:///{folder / 'sessions.db'}", data_root, fit,
                        folder / "models", weights, RuleSettings(),
                        progress or (lambda *_: None), embedder=embedder)
    Replay(loaded.runtime, fit).until(cut)
    return loaded, References(fit, loaded.items), guests


async def run_session_evaluation(
    data_root: Path, embedder: Embedder, *, cut: datetime = DEFAULT_CUT,
    weights: BlendWeights | None = None, limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Reported on the later half of the guest sessions after ``cut`` (the earlier half
    is where the session weights were chosen)."""
    with tempfile.TemporaryDirectory() as tmp:
        loaded, refs, guests = await load_sessions(
            data_root, embedder, Path(tmp), cut, weights or load_weights(), progress)
        held_out = guests[len(guests) // 2 :][:limit]
        result: dict[str, Any] = await measure(loaded, refs, held_out, progress)
    result["protocol"] = f"guest-sessions:{cut.date().isoformat()}:later-half"
    return result
