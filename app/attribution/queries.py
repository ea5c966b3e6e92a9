"""KPI, experiment and latency reads, from the rollups only: a month of a shop's KPIs is a
range scan of ``kpi_daily`` on its (shop_id, day) key, whatever the number of events."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.latency import percentile
from app.attribution.models import (
    NO_EXPERIMENT,
    NO_PLACEMENT,
    NO_VARIANT,
    ExperimentUnit,
    KpiDaily,
    KpiLatency,
)
from app.attribution.moments import UNIT_METRICS, VariantMoments
from app.errors import InvalidInput

GROUPS = ("day", "placement", "experiment", "variant")
MAX_DAYS = 731
"""The longest period one KPI query covers (two years)."""
SUMMED = ("served", "impressions", "clicks", "add_to_carts", "visitors", "orders",
          "attributed_revenue", "refunded_revenue", "recommended_order_revenue",
          "view_through_orders", "view_through_revenue", "plain_orders", "plain_order_revenue",
          "margin", "costed_lines", "unattributed_events")


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class KpiRow:
    """One group's KPIs. Revenues are net of refunds; ratios are 0 without a denominator;
    ``visitors`` counts each shopper once a day per placement and variant."""

    day: date | None
    placement: str | None
    experiment_id: int | None
    variant: str | None
    served: int
    impressions: int
    clicks: int
    ctr: float
    add_to_carts: int
    click_to_cart: float
    orders: int
    conversion: float
    attributed_revenue: float
    view_through_orders: int
    view_through_revenue: float
    refunded_revenue: float
    visitors: int
    revenue_per_visitor: float
    aov_with_recommended: float
    aov_without_recommended: float
    contribution_margin: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    unattributed_events: int


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def summarize(counts: dict[int, int]) -> LatencySummary:
    return LatencySummary(sum(counts.values()), percentile(counts, 0.5),
                          percentile(counts, 0.95), percentile(counts, 0.99))


def _group_columns(group_by: Sequence[str], table: type[KpiDaily] | type[KpiLatency]
                   ) -> dict[str, Any]:
    """The columns to group by, by their ``KpiRow`` names."""
    unknown = [g for g in group_by if g not in GROUPS]
    if unknown or len(group_by) > len(GROUPS):
        raise InvalidInput(f"groupBy: each item is one of {', '.join(GROUPS)}")
    wanted = set(group_by)
    if "variant" in wanted:
        wanted.add("experiment")  # a variant's name means something within its experiment
    columns = {"day": ("day", table.day), "placement": ("placement", table.placement),
               "experiment": ("experiment_id", table.experiment_id),
               "variant": ("variant", table.variant)}
    return dict(columns[g] for g in GROUPS if g in wanted)


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("to: before from")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"from, to: more than {MAX_DAYS} days apart")


def _where(table: type[KpiDaily] | type[KpiLatency], shop_id: int, start: date, end: date,
           placement: str | None) -> list[ColumnElement[bool]]:
    where = [table.shop_id == shop_id, table.day >= start, table.day <= end]
    if placement is not None:
        where.append(table.placement == placement)
    return where


async def kpis(session: AsyncSession, shop_id: int, start: date, end: date,
               placement: str | None, group_by: Sequence[str]) -> list[KpiRow]:
    """The KPIs of the days ``start`` to ``end`` (both included), one row per group."""
    _check_period(start, end)
    named = _group_columns(group_by, KpiDaily)
    names, groups = list(named), list(named.values())
    sums = [func.sum(getattr(KpiDaily, name)) for name in SUMMED]
    stmt = (select(*groups, *sums).where(*_where(KpiDaily, shop_id, start, end, placement))
            .group_by(*groups).order_by(*groups))
    latency_groups = list(_group_columns(group_by, KpiLatency).values())
    latency = (select(*latency_groups, KpiLatency.bucket, func.sum(KpiLatency.count))
               .where(*_where(KpiLatency, shop_id, start, end, placement))
               .group_by(*latency_groups, KpiLatency.bucket))
    histograms: defaultdict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    for row in (await session.execute(latency)).all():
        histograms[tuple(row[:-2])][row[-2]] = int(row[-1])
    return [_row(dict(zip(names, row[:len(names)], strict=True)),
                 dict(zip(SUMMED, row[len(names):], strict=True)),
                 summarize(histograms.get(tuple(row[:len(names)]), {})))
            for row in (await session.execute(stmt)).all()]


def _row(group: dict[str, Any], totals: dict[str, Any], latency: LatencySummary) -> KpiRow:
    n = {name: value or 0 for name, value in totals.items()}
    revenue = float(n["attributed_revenue"] - n["refunded_revenue"])
    placement, experiment, variant = (group.get("placement"), group.get("experiment_id"),
                                      group.get("variant"))
    return KpiRow(
        day=group.get("day"),
        placement=None if placement in (None, NO_PLACEMENT) else placement,
        experiment_id=None if experiment in (None, NO_EXPERIMENT) else experiment,
        variant=None if variant in (None, NO_VARIANT) else variant,
        served=int(n["served"]), impressions=int(n["impressions"]), clicks=int(n["clicks"]),
        ctr=_ratio(n["clicks"], n["impressions"]), add_to_carts=int(n["add_to_carts"]),
        click_to_cart=_ratio(n["add_to_carts"], n["clicks"]), orders=int(n["orders"]),
        conversion=_ratio(n["orders"], n["visitors"]), attributed_revenue=revenue,
        view_through_orders=int(n["view_through_orders"]),
        view_through_revenue=float(n["view_through_revenue"]),
        refunded_revenue=float(n["refunded_revenue"]), visitors=int(n["visitors"]),
        revenue_per_visitor=_ratio(revenue, n["visitors"]),
        aov_with_recommended=_ratio(n["recommended_order_revenue"], n["orders"]),
        aov_without_recommended=_ratio(n["plain_order_revenue"], n["plain_orders"]),
        contribution_margin=float(n["margin"]) if n["costed_lines"] else None,
        latency_p50_ms=latency.p50_ms, latency_p95_ms=latency.p95_ms,
        latency_p99_ms=latency.p99_ms, unattributed_events=int(n["unattributed_events"]),
    )


PAIRS = list(combinations(UNIT_METRICS, 2))


async def experiment_moments(session: AsyncSession, shop_id: int,
                             experiment_id: int) -> dict[str, VariantMoments]:
    """Per variant: its shoppers, and the sums, squares and products of their metrics,
    computed by the database. A variant served only to unidentified shoppers has n = 0."""
    metric = {name: getattr(ExperimentUnit, name) for name in UNIT_METRICS}
    stmt = select(
        ExperimentUnit.variant, func.count(),
        *(func.sum(metric[m]) for m in UNIT_METRICS),
        *(func.sum(metric[m] * metric[m]) for m in UNIT_METRICS),
        *(func.sum(metric[a] * metric[b]) for a, b in PAIRS),
    ).where(ExperimentUnit.shop_id == shop_id, ExperimentUnit.experiment_id == experiment_id
            ).group_by(ExperimentUnit.variant)
    moments = {row[0]: _moments(row) for row in (await session.execute(stmt)).all()}
    served = select(KpiDaily.variant).distinct().where(
        KpiDaily.shop_id == shop_id, KpiDaily.experiment_id == experiment_id, KpiDaily.served > 0)
    for variant in (await session.execute(served)).scalars():
        moments.setdefault(variant, VariantMoments(n=0))
    return moments


def _moments(row: Row[Any]) -> VariantMoments:
    cells: tuple[Any, ...] = tuple(row)
    values = [float(v or 0) for v in cells[2:]]
    count = len(UNIT_METRICS)
    products: dict[tuple[str, str], float] = {}
    for (a, b), value in zip(PAIRS, values[2 * count:], strict=True):
        products[a, b] = products[b, a] = value
    return VariantMoments(
        n=int(cells[1]),
        sums=dict(zip(UNIT_METRICS, values[:count], strict=True)),
        squares=dict(zip(UNIT_METRICS, values[count:2 * count], strict=True)),
        products=products,
    )


async def variant_latency(session: AsyncSession, shop_id: int,
                          experiment_id: int) -> dict[str, LatencySummary]:
    """Serving latency of each variant of an experiment over its whole run."""
    stmt = select(KpiLatency.variant, KpiLatency.bucket, func.sum(KpiLatency.count)).where(
        KpiLatency.shop_id == shop_id, KpiLatency.experiment_id == experiment_id,
    ).group_by(KpiLatency.variant, KpiLatency.bucket)
    histograms: defaultdict[str, dict[int, int]] = defaultdict(dict)
    for variant, bucket, count in (await session.execute(stmt)).all():
        histograms[variant][bucket] = int(count)
    return {variant: summarize(counts) for variant, counts in histograms.items()}
