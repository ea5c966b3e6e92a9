"""The evaluation harness on a slice of the Online Retail data (skipped without it)."""

from pathlib import Path

import pytest

from app.evaluation.harness import run_evaluation

pytestmark = pytest.mark.dataset


async def test_harness_reports_every_model_in_both_modes(dataset_dir: Path) -> None:
    result = await run_evaluation(dataset_dir, limit=40)
    for mode in ("all", "explore"):
        for name in ("affinity", "popularity", "personal-popularity", "als"):
            metrics = result[mode][name]
            assert set(metrics) == {"HR@10", "Recall@10", "NDCG@10", "MRR", "users"}
            assert 0.0 <= metrics["NDCG@10"] <= 1.0 and metrics["users"] > 0
    assert result["all"]["affinity"]["NDCG@10"] > result["all"]["popularity"]["NDCG@10"]
    assert result["latency_ms"]["requests"] == 80
