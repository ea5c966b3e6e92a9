# strawberry.field(...) with arguments is typed as returning Any (as app.graphql, which
# pyproject exempts): as a resolver decorator that reads as untyped.
# mypy: disable-error-code="untyped-decorator"
"""A shop's own settings in the admin API: read them beside the server's defaults, change
them (all or nothing; a refusal names the field and the reason).

Resolvers are thin: ``app.shops.preferences`` validates and stores."""

from dataclasses import fields
from pathlib import Path
from typing import Any, Protocol, cast

import strawberry

from app.admin.context import AdminInfo
from app.errors import InvalidInput, Unavailable
from app.health.data import HealthSources
from app.ids import ShopId
from app.ranking.rules import RuleSettings
from app.settings import Settings
from app.shops.preferences import (
    DEFAULT_TIMEZONE,
    SETTING_FIELDS,
    ShopPreferences,
    read_preferences,
    update_preferences,
    validated_changes,
)


class ServerView(Protocol):
    """What these resolvers read of the admin context besides the shop and the session."""

    shop_defaults: ShopPreferences
    health_sources: HealthSources


def server_view(info: AdminInfo) -> ServerView:
    context: Any = info.context
    if not isinstance(getattr(context, "shop_defaults", None), ShopPreferences) \
            or not isinstance(getattr(context, "health_sources", None), HealthSources):
        raise Unavailable("the admin API was started without the server's defaults")
    return cast(ServerView, context)


def server_defaults(settings: Settings, rules: RuleSettings) -> ShopPreferences:
    """Every setting's server default: the environment's (``AFFINITY_ENGINE_*`` for the
    rules, ``AFFINITY_SEARCH_UNAVAILABLE``, ``AFFINITY_HOLDOUT_SHARE``), UTC."""
    return ShopPreferences(
        exploration_share=rules.exploration_share, max_per_vendor=rules.max_per_vendor,
        max_per_product_type=rules.max_per_product_type,
        exclude_recent_purchases_days=rules.exclude_recent_purchases_days,
        search_unavailable=settings.search_unavailable, holdout_share=settings.holdout_share,
        timezone=DEFAULT_TIMEZONE)


def health_sources(settings: Settings, models_dir: Path | None, retrain_hours: float) -> HealthSources:
    """Where the data health reads the model and the index (``models_dir``: the engine's,
    default ``<data_dir>/models``)."""
    return HealthSources(models_dir=models_dir or settings.data_dir / "models",
                         embedding_model=settings.embedding_model,
                         model_max_age_hours=2 * retrain_hours if retrain_hours > 0 else 24 * 365)


@strawberry.type(description="Values of every shop setting.")
class ShopSettingValues:
    exploration_share: float | None = strawberry.field(
        description="Share of slots for new or rarely shown products, 0 to 0.5.")
    max_per_vendor: int | None = strawberry.field(
        description="Most items of one vendor per 10 shown, 1 to 10.")
    max_per_product_type: int | None = strawberry.field(
        description="Most items of one product type per 10 shown, 1 to 10.")
    exclude_recent_purchases_days: int | None = strawberry.field(
        description="Days a bought product (not replenishable) stays hidden, 0 (never) to 365.")
    search_unavailable: str | None = strawberry.field(
        description="rerankSearch: `sink` unavailable products to the end or `drop` them.")
    holdout_share: float | None = strawberry.field(
        description="Share of shoppers kept on the non-personalized baseline, 0 to 0.5.")
    timezone: str | None = strawberry.field(
        description="IANA time zone name of the shop's schedules (e.g. Europe/Paris).")

    @classmethod
    def of(cls, preferences: ShopPreferences) -> "ShopSettingValues":
        return cls(**{name: getattr(preferences, name) for name in SETTING_FIELDS})


@strawberry.type(description="The shop's own settings (null: the server's default), the "
                             "server's defaults, and what serving applies.")
class ShopSettings:
    own: ShopSettingValues
    defaults: ShopSettingValues
    effective: ShopSettingValues


def shop_settings_of(own: ShopPreferences, defaults: ShopPreferences) -> ShopSettings:
    return ShopSettings(own=ShopSettingValues.of(own), defaults=ShopSettingValues.of(defaults),
                        effective=ShopSettingValues.of(own.over(defaults)))


@strawberry.input(description="Settings to change; a field left out is kept, a field set to "
                              "null goes back to the server's default.")
class ShopSettingsInput:
    exploration_share: float | None = strawberry.UNSET
    max_per_vendor: int | None = strawberry.UNSET
    max_per_product_type: int | None = strawberry.UNSET
    exclude_recent_purchases_days: int | None = strawberry.UNSET
    search_unavailable: str | None = strawberry.UNSET
    holdout_share: float | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def changes_of(given: ShopSettingsInput) -> dict[str, Any]:
    """The settings the input names, checked; a refusal names the input's field."""
    changes = {f.name: getattr(given, f.name) for f in fields(ShopPreferences)
               if getattr(given, f.name) is not strawberry.UNSET}
    for name, value in changes.items():
        try:
            validated_changes({name: value})
        except InvalidInput as refused:
            raise InvalidInput(f"{_camel(name)}: {refused.message.removeprefix(f'{name}: ')}") \
                from None
    return changes


@strawberry.type
class SettingsQuery:
    @strawberry.field(description="The shop's settings beside the server's defaults.")
    async def shop_settings(self, info: AdminInfo) -> ShopSettings:
        defaults = server_view(info).shop_defaults
        async with info.context.database() as session:
            own = await read_preferences(session, ShopId(info.context.shop.id))
        return shop_settings_of(own, defaults)


@strawberry.type
class SettingsMutation:
    @strawberry.mutation(description=(
        "Change some of the shop's settings: all are checked first, a refusal "
        "(INVALID_INPUT) names the field and the reason and saves nothing."))
    async def update_shop_settings(self, info: AdminInfo, input: ShopSettingsInput) -> ShopSettings:
        defaults = server_view(info).shop_defaults
        async with info.context.database() as session:
            own = await update_preferences(session, ShopId(info.context.shop.id),
                                           changes_of(input))
        return shop_settings_of(own, defaults)
