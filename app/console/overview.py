"""The overview: the last 30 days' KPIs of the personalized lists against the shop's holdout
(the shoppers served the non-personalized baseline, variant ``holdout``), as tiles, one
chart per KPI and a table per placement, from the rollups (``app.attribution.queries``).

Ratios are recomputed from the summed counts of the groups they cover. Latency percentiles
cannot be added up, so the personalized side's p95 is that of every list served."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.queries import KpiRow, kpis
from app.ranking.variants import HOLDOUT
from app.recommendations.types import Placement

DAYS = 30
PLACEMENTS = tuple(p.value for p in Placement)
PERSONALIZED = "Personalized"
HELD_OUT = "Holdout"


@dataclass(frozen=True)
class Figures:
    """KPIs of a set of groups: counts summed, ratios recomputed (``None``: no denominator)."""

    served: int
    impressions: int
    clicks: int
    add_to_carts: int
    visitors: int
    revenue: float
    latency_p95_ms: float | None

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def click_to_cart(self) -> float | None:
        return self.add_to_carts / self.clicks if self.clicks else None

    @property
    def revenue_per_visitor(self) -> float | None:
        return self.revenue / self.visitors if self.visitors else None


def figures(rows: Iterable[KpiRow], latency_p95_ms: float | None = None) -> Figures:
    listed = list(rows)
    return Figures(
        served=sum(r.served for r in listed), impressions=sum(r.impressions for r in listed),
        clicks=sum(r.clicks for r in listed), add_to_carts=sum(r.add_to_carts for r in listed),
        visitors=sum(r.visitors for r in listed),
        revenue=sum(r.attributed_revenue for r in listed), latency_p95_ms=latency_p95_ms)


def split(rows: Iterable[KpiRow]) -> tuple[list[KpiRow], list[KpiRow]]:
    """The rows of personalized lists, and those of the holdout."""
    listed = list(rows)
    return ([r for r in listed if r.variant != HOLDOUT], [r for r in listed if r.variant == HOLDOUT])


def _latency(rows: Sequence[KpiRow]) -> float | None:
    return rows[0].latency_p95_ms if len(rows) == 1 else None


@dataclass(frozen=True)
class Comparison:
    label: str
    personalized: Figures
    holdout: Figures


def compare(label: str, rows: Sequence[KpiRow], everything: float | None) -> Comparison:
    ours, held = split(rows)
    return Comparison(label, figures(ours, everything), figures(held, _latency(held)))


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


SERIES = (("ctr", "Click-through rate", "ratio"), ("click_to_cart", "Click to cart", "ratio"),
          ("revenue", "Attributed revenue", "money"),
          ("revenue_per_visitor", "Revenue per visitor", "money"),
          ("latency_p95_ms", "Latency p95 (ms)", "ms"))


def series(days: list[date], by_variant: Sequence[KpiRow],
           by_day: Sequence[KpiRow]) -> list[dict[str, Any]]:
    """One chart per KPI: a value per day for the personalized lists and the holdout."""
    daily: dict[date, Comparison] = {}
    latency = {r.day: r.latency_p95_ms for r in by_day}
    for day in days:
        rows = [r for r in by_variant if r.day == day]
        daily[day] = compare(day.isoformat(), rows, latency.get(day))
    charts = []
    for key, title, unit in SERIES:
        charts.append({"id": key, "title": title, "unit": unit, "series": [
            {"label": PERSONALIZED, "values": [getattr(daily[d].personalized, key) for d in days]},
            {"label": HELD_OUT, "values": [getattr(daily[d].holdout, key) for d in days]}]})
    return charts


@dataclass(frozen=True)
class Overview:
    start: date
    end: date
    placement: str | None
    total: Comparison
    placements: list[Comparison]
    chart: dict[str, Any]


async def overview(session: AsyncSession, shop_id: int, placement: str | None,
                   today: date) -> Overview:
    start, end = today - timedelta(days=DAYS - 1), today
    whole = await kpis(session, shop_id, start, end, placement, [])
    by_variant = await kpis(session, shop_id, start, end, placement, ["variant"])
    daily_variant = await kpis(session, shop_id, start, end, placement, ["day", "variant"])
    daily = await kpis(session, shop_id, start, end, placement, ["day"])
    per_placement = await kpis(session, shop_id, start, end, None, ["placement", "variant"])
    placement_latency = {r.placement: r.latency_p95_ms
                         for r in await kpis(session, shop_id, start, end, None, ["placement"])}
    latency = whole[0].latency_p95_ms if whole else None
    placements = [compare(name, [r for r in per_placement if r.placement == name],
                          placement_latency.get(name))
                  for name in PLACEMENTS if any(r.placement == name for r in per_placement)]
    days = days_between(start, end)
    return Overview(start, end, placement, compare("All", by_variant, latency), placements,
                    {"labels": [d.isoformat() for d in days],
                     "charts": series(days, daily_variant, daily)})
