"""The memory-mapped Annoy index: stored vectors read back one at a time or in a batch."""

from pathlib import Path

import numpy as np
import pytest

from app.index.annoy_index import (
    AROUND_COUNT,
    NEIGHBOURS,
    AnnoyVectorIndex,
    build_annoy_file,
    neighbour_lists,
)


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
        aligned = index.aligned([41, 3, 9, 100, 2, 0])
        assert aligned.present.tolist() == [True, False, True, False, True, False]
        assert aligned.keys.tolist() == [41, 3, 9, 100, 2, 0]
        assert aligned.matrix.shape == (6, 8)
        for row, key in zip(aligned.matrix, [41, 3, 9, 100, 2, 0], strict=True):
            expected = found.get(key)
            assert np.array_equal(row, expected if expected is not None else np.zeros(8))
        assert index.aligned([]).matrix.shape == (0, 8)
    finally:
        index.close()


def _unit_vectors_in_a_file(path: Path, seed: int, count: int) -> np.ndarray:
    """``count`` random unit vectors of 16 dimensions, written to an Annoy file at ``path``."""
    vectors = np.random.default_rng(seed).normal(size=(count, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    build_annoy_file(path, vectors, trees=5)
    return vectors


def test_neighbours_of_an_item_are_kept_and_agree_with_a_fresh_search(tmp_path: Path) -> None:
    vectors = _unit_vectors_in_a_file(tmp_path / "items.ann", 11, 300)
    keys = np.arange(1000, 1300, dtype=np.int64)
    index = AnnoyVectorIndex(tmp_path / "items.ann", keys, 16, version=1, search_k=2000)
    try:
        for count in (5, 20, 100, 7):
            kept = index.nearest_to_item(1042, vectors[42], count)
            assert kept == index.nearest(vectors[42], count)
        assert index.nearest_to_item(1042, vectors[42], 400) == index.nearest(vectors[42], 400)
    finally:
        index.close()


def test_precomputed_neighbour_lists_answer_as_the_index_does(tmp_path: Path) -> None:
    vectors = _unit_vectors_in_a_file(tmp_path / "items.ann", 5, 200)
    keys = np.arange(500, 700, dtype=np.int64)
    lists = neighbour_lists(tmp_path / "items.ann", 16, search_k=1500, threads=2)
    assert lists.shape == (200, AROUND_COUNT) and lists.dtype == NEIGHBOURS
    np.save(tmp_path / "neighbours.npy", lists)
    mapped = np.load(tmp_path / "neighbours.npy", mmap_mode="r")
    live = AnnoyVectorIndex(tmp_path / "items.ann", keys, 16, version=1, search_k=1500)
    precomputed = AnnoyVectorIndex(tmp_path / "items.ann", keys, 16, version=1, search_k=1500,
                                   neighbours=mapped)
    try:
        for item in (0, 17, 199):
            key = int(keys[item])
            for count in (1, 12, AROUND_COUNT):
                expected = live.nearest(vectors[item], count)
                assert precomputed.nearest_to_item(key, vectors[item], count) == expected
                assert expected[0][0] == key  # an item is its own nearest
            # More than was precomputed: asked of Annoy, as without the lists.
            longer = precomputed.nearest_to_item(key, vectors[item], AROUND_COUNT + 10)
            assert longer == live.nearest(vectors[item], AROUND_COUNT + 10)
        # A key outside the index has no list: a search by its vector answers.
        assert precomputed.nearest_to_item(9999, vectors[3], 5) == live.nearest(vectors[3], 5)
    finally:
        live.close()
        precomputed.close()


def test_a_small_index_pads_its_lists(tmp_path: Path) -> None:
    vectors = np.eye(5, 8, dtype=np.float32)
    build_annoy_file(tmp_path / "items.ann", vectors, trees=2)
    lists = neighbour_lists(tmp_path / "items.ann", 8, search_k=-1, threads=1)
    assert (lists["item"][:, :5] >= 0).all() and (lists["item"][:, 5:] == -1).all()
    index = AnnoyVectorIndex(tmp_path / "items.ann", np.arange(5, dtype=np.int64), 8, version=1,
                             search_k=-1, neighbours=lists)
    try:
        assert len(index.nearest_to_item(2, vectors[2], 12)) == 5
    finally:
        index.close()
