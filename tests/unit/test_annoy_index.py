"""The memory-mapped Annoy index: stored vectors read back one at a time or in a batch."""

from pathlib import Path

import numpy as np
import pytest

from app.index.annoy_index import AnnoyVectorIndex, build_annoy_file


@pytest.mark.parametrize("with_matrix", [True, False], ids=["memory-mapped matrix", "annoy file"])
def test_vectors_of_several_keys_match_one_at_a_time(tmp_path: Path, with_matrix: bool) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(6, 8)).astype(np.float32)
    keys = np.asarray([2, 5, 9, 11, 40, 41], dtype=np.int64)
    build_annoy_file(tmp_path / "items.ann", vectors, trees=2)
    np.save(tmp_path / "items.npy", vectors)
    matrix = np.load(tmp_path / "items.npy", mmap_mode="r") if with_matrix else None
    index = AnnoyVectorIndex(tmp_path / "items.ann", keys, 8, version=1, search_k=-1,
                             vectors=matrix)
    try:
        found = index.vectors([41, 3, 9, 100, 2, 0])
        assert sorted(found) == [2, 9, 41]
        for key, vector in found.items():
            one = index.vector(key)
            assert one is not None and np.array_equal(vector, one)
            assert np.allclose(vector, vectors[list(keys).index(key)], atol=1e-6)
        assert index.vectors([]) == {} and index.vectors([1, 1000]) == {}
    finally:
        index.close()


def test_neighbours_of_an_item_are_kept_and_agree_with_a_fresh_search(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = np.arange(1000, 1300, dtype=np.int64)
    build_annoy_file(tmp_path / "items.ann", vectors, trees=5)
    index = AnnoyVectorIndex(tmp_path / "items.ann", keys, 16, version=1, search_k=2000)
    try:
        for count in (5, 20, 100, 7):
            kept = index.nearest_to_item(1042, vectors[42], count)
            assert kept == index.nearest(vectors[42], count)
        assert index.nearest_to_item(1042, vectors[42], 400) == index.nearest(vectors[42], 400)
    finally:
        index.close()
