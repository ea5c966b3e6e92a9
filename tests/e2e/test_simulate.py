"""End to end: ``affinity simulate`` loads the Online Retail data into a shop of its own,
starts a real server, drives it over HTTP, and reports what the admin API says; the
server's counts of clicks and attributed orders equal what the simulated shoppers did."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.dataset, pytest.mark.model]

AFFINITY = str(Path(sys.executable).parent / "affinity")
VARIANT_FIELDS = {"name", "shoppers", "impressions", "clicks", "ctr", "orders", "revenue",
                  "revenue_per_shopper"}


def test_a_small_simulation_reports_what_the_shoppers_did(dataset_dir: Path,
                                                          tmp_path: Path) -> None:
    output = tmp_path / "simulation.json"
    done = subprocess.run(
        [AFFINITY, "simulate", "--data", str(dataset_dir), "--variants", "baseline,engine",
         "--shoppers", "150", "--output", str(output), "--seed", "1"],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(output.read_text())

    assert isinstance(report["experiment"], str)
    assert sorted(v["name"] for v in report["variants"]) == ["baseline", "engine"]
    for variant in report["variants"]:
        assert VARIANT_FIELDS <= set(variant)
    assert report["lift"]["metric"] == "revenue_per_shopper"
    assert (report["lift"]["control"], report["lift"]["treatment"]) == ("baseline", "engine")
    assert {"estimate", "ci_low", "ci_high"} <= set(report["lift"])
    assert 0.0 <= report["srm_p"] <= 1.0

    simulated, reported = report["simulated"], report["reported_totals"]
    assert simulated["shoppers"] == 150
    assert simulated["clicks"] > 0 and simulated["orders"] > 0
    assert reported["shoppers"] == 150
    assert reported["impressions"] == simulated["impressions"]
    assert reported["clicks"] == simulated["clicks"]
    assert reported["orders"] == simulated["orders"]
    assert reported["revenue"] == pytest.approx(simulated["revenue"], abs=0.01)
    assert report["rollups_match"] is True
