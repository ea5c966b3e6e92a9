"""A shop's own settings: every setting refused outside its range with the field and the
reason, stored JSON read leniently, merges that keep other features' keys."""

import logging
import typing
from typing import Any

import pytest

from app.errors import InvalidInput
from app.ranking.rules import RuleSettings
from app.settings import Settings
from app.shops.preferences import (
    SEARCH_UNAVAILABLE_POLICIES,
    SETTING_FIELDS,
    ShopPreferences,
    merged,
    preferences_of,
    validated_changes,
)

GOOD = {"exploration_share": 0.25, "max_per_vendor": 3, "max_per_product_type": 10,
        "exclude_recent_purchases_days": 0, "search_unavailable": "drop",
        "holdout_share": 0.5, "timezone": "Europe/Paris"}

REFUSED = [
    ("exploration_share", -0.01, "from 0 to 0.5"),
    ("exploration_share", 0.51, "from 0 to 0.5"),
    ("exploration_share", float("nan"), "expected a number"),
    ("exploration_share", "0.2", "expected a number"),
    ("exploration_share", True, "expected a number"),
    ("max_per_vendor", 0, "from 1 to 10"),
    ("max_per_vendor", 11, "from 1 to 10"),
    ("max_per_vendor", 2.5, "expected a whole number"),
    ("max_per_vendor", False, "expected a whole number"),
    ("max_per_product_type", 0, "from 1 to 10"),
    ("max_per_product_type", 11, "from 1 to 10"),
    ("exclude_recent_purchases_days", -1, "from 0 to 365"),
    ("exclude_recent_purchases_days", 366, "from 0 to 365"),
    ("exclude_recent_purchases_days", "30", "expected a whole number"),
    ("search_unavailable", "hide", "expected one of sink, drop"),
    ("search_unavailable", 1, "expected one of sink, drop"),
    ("holdout_share", 0.6, "from 0 to 0.5"),
    ("holdout_share", -1, "from 0 to 0.5"),
    ("timezone", "Mars/Olympus", "not a time zone"),
    ("timezone", "../../etc/passwd", "not a time zone"),
    ("timezone", "localtime", "not a time zone"),
    ("timezone", "", "expected an IANA time zone"),
    ("timezone", "x" * 65, "expected an IANA time zone"),
    ("timezone", 3, "expected an IANA time zone"),
]


def test_every_setting_in_range_is_accepted() -> None:
    assert validated_changes(GOOD) == GOOD
    assert set(GOOD) == set(SETTING_FIELDS)


def test_bounds_are_included() -> None:
    edges = {"exploration_share": 0, "max_per_vendor": 10, "max_per_product_type": 1,
             "exclude_recent_purchases_days": 365, "holdout_share": 0, "timezone": "UTC"}
    assert validated_changes(edges) == {**edges, "exploration_share": 0.0, "holdout_share": 0.0}


@pytest.mark.parametrize(("field", "value", "reason"), REFUSED)
def test_a_value_out_of_range_is_refused_with_the_field_and_reason(
        field: str, value: Any, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validated_changes({**GOOD, field: value})
    assert refused.value.message.startswith(f"{field}: ")
    assert reason in refused.value.message
    if isinstance(value, str) and len(value) > 3:
        assert value not in refused.value.message


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a shop setting"):
        validated_changes({"max_per_brand": 3})


def test_none_means_back_to_the_default() -> None:
    assert validated_changes({"max_per_vendor": None}) == {"max_per_vendor": None}


def test_the_policies_are_the_servers() -> None:
    annotation = Settings.model_fields["search_unavailable"].annotation
    assert set(typing.get_args(annotation)) == set(SEARCH_UNAVAILABLE_POLICIES)


def test_stored_settings_are_read() -> None:
    assert preferences_of(GOOD) == ShopPreferences(**GOOD)
    assert preferences_of(None) == ShopPreferences()
    assert preferences_of({}) == ShopPreferences()


def test_a_bad_stored_value_is_ignored_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    stored = {**GOOD, "max_per_vendor": "many", "timezone": "Nowhere/City", "holdout_share": 2}
    with caplog.at_level(logging.WARNING, logger="app.shops.preferences"):
        read = preferences_of(stored)
    assert read == ShopPreferences(**{**GOOD, "max_per_vendor": None, "timezone": None,
                                      "holdout_share": None})
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "max_per_vendor" in logged and "timezone" in logged and "holdout_share" in logged
    assert "Nowhere/City" not in logged


def test_a_stored_value_that_is_not_an_object_reads_as_defaults() -> None:
    assert preferences_of(["exploration_share", 0.2]) == ShopPreferences()  # type: ignore[arg-type]


def test_a_merge_keeps_other_keys_and_removes_reset_ones() -> None:
    stored = {"holdout_share": 0.1, "max_per_vendor": 2, "demo": {"seeded": True}}
    assert merged(stored, {"max_per_vendor": None, "exploration_share": 0.3}) == {
        "holdout_share": 0.1, "demo": {"seeded": True}, "exploration_share": 0.3}
    assert stored["max_per_vendor"] == 2  # the stored dict is not changed in place


def test_rule_settings_take_the_shops_values_and_keep_the_rest() -> None:
    defaults = RuleSettings(exclude_recent_purchases_days=30, replenishable_rate=0.05,
                            max_per_vendor=4, max_per_product_type=5, exploration_share=0.1)
    own = ShopPreferences(max_per_vendor=2, exclude_recent_purchases_days=0)
    assert own.rule_settings(defaults) == RuleSettings(
        exclude_recent_purchases_days=0, replenishable_rate=0.05, max_per_vendor=2,
        max_per_product_type=5, exploration_share=0.1)
    assert ShopPreferences().rule_settings(defaults) == defaults


def test_own_values_over_the_defaults() -> None:
    defaults = ShopPreferences(**GOOD)
    own = ShopPreferences(search_unavailable="sink", timezone="America/New_York")
    assert own.over(defaults) == ShopPreferences(
        **{**GOOD, "search_unavailable": "sink", "timezone": "America/New_York"})
    assert ShopPreferences().zone == "UTC" and own.zone == "America/New_York"
