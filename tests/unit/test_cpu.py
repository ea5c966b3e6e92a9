"""A serving process keeps numpy's and scipy's BLAS to one thread."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from app.process import cpu


@pytest.fixture
def serving_limits() -> object:
    cpu.limit_for_serving()
    yield
    cpu._limits.pop().restore_original_limits()


def test_serving_limits_every_loaded_blas_to_one_thread(serving_limits: object) -> None:
    blas = [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]
    assert blas and max(blas) == cpu.SERVING_BLAS_THREADS
    vectors = np.ones((100, 384), np.float32)
    assert float((vectors @ np.ones(384, np.float32))[0]) == 384.0
