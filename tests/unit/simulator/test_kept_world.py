"""``affinity simulate --keep``: a kept shop goes only into a new or empty folder, and the
command says how to serve it again; ``--holdout`` reaches the simulated server."""

from pathlib import Path

import pytest

from app.commands.simulate import kept_world
from app.errors import InvalidInput
from app.simulator.run import SimulationOptions, simulate_locally
from app.simulator.variants import parse_variants
from app.simulator.world import LocalWorld


async def test_a_folder_with_files_in_it_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    options = SimulationOptions(parse_variants("baseline,engine"))
    with pytest.raises(InvalidInput, match="new or empty folder"):
        await simulate_locally(tmp_path, [], [], options, keep=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_kept_world_names_its_database_data_folder_and_shop(tmp_path: Path) -> None:
    kept = kept_world(tmp_path / "shop", {"shop": "simulated.example"})
    assert kept == {"AFFINITY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop' / 'affinity.db'}",
                    "AFFINITY_DATA_DIR": str(tmp_path / "shop" / "data"), "shop": "simulated.example"}


def test_the_holdout_reaches_the_simulated_server(tmp_path: Path) -> None:
    world = LocalWorld(tmp_path, "sqlite+aiosqlite:///x.db", tmp_path / "data", 0.2)
    assert world.env()["AFFINITY_HOLDOUT_SHARE"] == "0.2"
    assert LocalWorld(tmp_path, "u", tmp_path).env()["AFFINITY_HOLDOUT_SHARE"] == "0.0"
