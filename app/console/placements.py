"""The placements page: the shop's own settings where a merchant expects control
(``app.shops.preferences``), each beside the server's default it overrides. A field left
blank goes back to that default; a refused value is shown with its field and reason and
nothing is saved."""

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.console.guard import Console, Signed
from app.console.web import PREFIX, Form, field, redirect
from app.errors import InvalidInput
from app.ids import ShopId
from app.ranking.rules import RuleSettings
from app.settings import Settings
from app.shops.preferences import (
    DEFAULT_TIMEZONE,
    SEARCH_UNAVAILABLE_POLICIES,
    ShopPreferences,
    read_preferences,
    update_preferences,
)
from app.storage.database import transaction

PATH = f"{PREFIX}/placements"


@dataclass(frozen=True)
class SettingField:
    name: str
    label: str
    kind: str
    """``share``, ``count`` or ``choice``."""
    help: str
    low: float = 0
    high: float = 1


FIELDS = (
    SettingField("exploration_share", "Exploration share", "share",
                 "Share of slots for new or rarely shown products, 0 to 0.5.", 0, 0.5),
    SettingField("max_per_vendor", "Most items of one vendor per 10 shown", "count",
                 "1 to 10.", 1, 10),
    SettingField("max_per_product_type", "Most items of one product type per 10 shown",
                 "count", "1 to 10.", 1, 10),
    SettingField("exclude_recent_purchases_days", "Days a bought product stays hidden", "count",
                 "0 (never hidden) to 365; replenishable products are never hidden.", 0, 365),
    SettingField("search_unavailable", "Unavailable products in search", "choice",
                 "sink: moved to the end; drop: left out."),
    SettingField("holdout_share", "Holdout share", "share",
                 "Share of shoppers kept on the non-personalized baseline, 0 to 0.5.", 0, 0.5),
    SettingField("timezone", "Time zone of schedules", "text",
                 "An IANA time zone name, e.g. Europe/Paris."),
)


def defaults(settings: Settings, rules: RuleSettings) -> dict[str, Any]:
    return {"exploration_share": rules.exploration_share, "max_per_vendor": rules.max_per_vendor,
            "max_per_product_type": rules.max_per_product_type,
            "exclude_recent_purchases_days": rules.exclude_recent_purchases_days,
            "search_unavailable": settings.search_unavailable,
            "holdout_share": settings.holdout_share, "timezone": DEFAULT_TIMEZONE}


def _parsed(spec: SettingField, text: str) -> Any:
    if not text:
        return None
    try:
        if spec.kind == "share":
            return float(text)
        if spec.kind == "count":
            return int(text)
    except ValueError as error:
        raise InvalidInput(f"{spec.name}: expected a "
                           f"{'number' if spec.kind == 'share' else 'whole number'}") from error
    return text


def changes_from_form(form: Form) -> dict[str, Any]:
    return {spec.name: _parsed(spec, field(form, spec.name)) for spec in FIELDS
            if spec.name in form}


def _values(preferences: ShopPreferences) -> dict[str, str]:
    return {spec.name: "" if getattr(preferences, spec.name) is None
            else str(getattr(preferences, spec.name)) for spec in FIELDS}


async def _render(console: Console, signed: Signed, rules: RuleSettings, values: dict[str, str],
                  status_code: int = 200, error: str | None = None,
                  saved: bool = False) -> Response:
    return console.render("placements.html", status_code, signed=signed, page="placements",
                          title="Placements", fields=FIELDS, values=values, error=error,
                          saved=saved, defaults=defaults(console.settings, rules),
                          policies=SEARCH_UNAVAILABLE_POLICIES)


async def show_placements(console: Console, request: Request, signed: Signed,
                          rules: RuleSettings) -> Response:
    async with transaction(console.database) as db:
        preferences = await read_preferences(db, ShopId(signed.shop_id))
    return await _render(console, signed, rules, _values(preferences),
                         saved=request.query_params.get("saved") == "1")


async def save_placements(console: Console, request: Request, signed: Signed,
                          rules: RuleSettings) -> Response:
    try:
        changes = changes_from_form(signed.form)
        async with transaction(console.database) as db:
            await update_preferences(db, ShopId(signed.shop_id), changes)
    except InvalidInput as refused:
        sent = {spec.name: field(signed.form, spec.name) for spec in FIELDS}
        return await _render(console, signed, rules, sent, 400, refused.message)
    return redirect(f"{PATH}?saved=1")
