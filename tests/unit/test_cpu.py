"""A serving process keeps numpy's and scipy's BLAS to one thread."""

import numpy as np
import pytest

from app import cpu


@pytest.fixture
def serving_limits() -> object:
    cpu.limit_for_serving()
    yield
    cpu._limits.pop().restore_original_limits()


def test_serving_limits_every_loaded_blas_to_one_thread(serving_limits: object) -> None:
    assert cpu.blas_threads() == cpu.SERVING_BLAS_THREADS
    vectors = np.ones((100, 384), np.float32)
    assert float((vectors @ np.ones(384, np.float32))[0]) == 384.0
