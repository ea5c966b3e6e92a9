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
