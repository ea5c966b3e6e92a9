"""Variant configs: what the engine can serve is stored in one canonical form; anything
else is refused with the reason, never the input."""

import pytest

from app.errors import InvalidInput
from app.experiments.configs import parse_config, stored_config
from app.ranking.features import NEW_FEATURES
from app.ranking.variants import BASELINE, ENGINE, VariantKind

SECRET = "zz-do-not-echo-zz"


def test_engine_and_baseline_are_names() -> None:
    assert parse_config("engine") is ENGINE
    assert parse_config(" baseline ") is BASELINE
    assert not BASELINE.personalized and ENGINE.personalized


def test_weights_and_exploration_make_a_tuned_variant() -> None:
    config = parse_config('{"weights": {"als": 0, "trend": 2.5}, "exploration": 0.2}')
    assert config.kind is VariantKind.TUNED
    assert config.weight_factors == (("als", 0.0), ("trend", 2.5))
    assert config.exploration == 0.2
    assert parse_config(stored_config(config)) == config
    factors = config.factors()
    assert factors is not None
    owned, new = factors
    assert sorted(set(owned.tolist())) == [0.0, 1.0, 2.5]  # als, untouched, trend
    assert len(new) == len(NEW_FEATURES) and 0.0 in new.tolist()
    assert parse_config("{}") is ENGINE


@pytest.mark.parametrize(("text", "reason"), [
    (f'{{"{SECRET}": 1}}', "unknown variant config"),
    (f'{{"weights": {{"{SECRET}": 1}}}}', "unknown variant config: weights"),
    ('{"weights": {"als": -1}}', "factors from 0 to 100"),
    ('{"weights": {"als": true}}', "factors from 0 to 100"),
    ('{"weights": {"als": NaN}}', "factors from 0 to 100"),
    ('{"weights": [1, 2]}', "unknown variant config: weights"),
    ('{"exploration": 1.5}', "exploration is a share from 0 to 1"),
    ('{"exploration": "0.1"}', "exploration is a share from 0 to 1"),
    (f'{{"model_version": "{SECRET}"}}', "model_version variants are not supported"),
    (SECRET, "engine, baseline or a JSON object"),
    ("[1]", "unknown variant config"),
    ("x" * 2001, "at most 2000 characters"),
])
def test_what_the_engine_cannot_serve_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_config(text)
    assert reason in refused.value.message
    assert SECRET not in refused.value.message
