"""``--variants``: built-in names, JSON files, A/A names, and refusals that do not repeat
what was given."""

import json
from pathlib import Path

import pytest

from app.errors import InvalidInput
from app.simulator.variants import VariantChoice, parse_variants


def test_built_in_names_are_their_own_config() -> None:
    assert parse_variants("baseline,engine") == [
        VariantChoice("baseline", "baseline"), VariantChoice("engine", "engine")]


def test_a_name_given_twice_becomes_an_a_a_pair() -> None:
    assert [v.name for v in parse_variants("engine,engine")] == ["engine-a", "engine-b"]
    assert [v.name for v in parse_variants("baseline,engine,engine")] == [
        "baseline", "engine-a", "engine-b"]


def test_a_file_gives_its_name_and_its_config_as_json(tmp_path: Path) -> None:
    path = tmp_path / "explore.json"
    path.write_text(json.dumps({"name": "explore", "config": {"exploration": 0.2}}))
    _, treatment = parse_variants(f"engine,{path}")
    assert treatment == VariantChoice("explore", '{"exploration": 0.2}')


@pytest.mark.parametrize("content", ['{"config": {}}', '{"name": "x", "config": "engine"}',
                                     "not json", '{"name": "", "config": {}}'])
def test_a_malformed_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "v.json"
    path.write_text(content)
    with pytest.raises(InvalidInput):
        parse_variants(f"engine,{path}")


def test_an_unknown_name_is_refused_without_repeating_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_variants("engine,secret-sauce")
    assert "secret-sauce" not in refused.value.message


@pytest.mark.parametrize("given", ["engine", "engine,engine,engine,engine,engine"])
def test_two_to_four_variants(given: str) -> None:
    with pytest.raises(InvalidInput):
        parse_variants(given)
