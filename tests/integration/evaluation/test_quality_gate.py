"""The quality gate: the engine's NDCG@10 on the recorded subset (both protocols, both
modes) may not fall more than the tolerance below ``tests/quality/ndcg_floor.json``.
After a change that is meant to move the figures: ``affinity evaluate --data DIR
--gate-refresh tests/quality/ndcg_floor.json``."""

import json
from pathlib import Path

import pytest

from app.evaluation import gate

pytestmark = pytest.mark.dataset
FLOOR = Path(__file__).resolve().parents[2] / "quality" / "ndcg_floor.json"


def test_the_recorded_subset_is_the_one_the_seed_draws(dataset_dir: Path) -> None:
    floor = json.loads(FLOOR.read_text())
    assert floor["subset"]["seed"] == gate.SEED
    for recorded in floor["protocols"].values():
        drawn = gate.draw_customers(dataset_dir, recorded["protocol"],
                                    gate.parse_cut(recorded["cut"]))
        assert recorded["customers"] == drawn


async def test_engine_ndcg_stays_above_the_recorded_floor(dataset_dir: Path) -> None:
    measured, below = await gate.check(dataset_dir, FLOOR)
    assert set(measured) == set(json.loads(FLOOR.read_text())["protocols"])
    assert below == [], "\n".join(str(b) for b in below)
