# strawberry.field(...) with arguments is typed as returning Any (as app.graphql, which
# pyproject exempts): as a resolver decorator that reads as untyped.
# mypy: disable-error-code="untyped-decorator"
"""The ``kpis`` query: one shop's KPI rows over a bounded date range."""

from datetime import date
from enum import Enum
from typing import Annotated, Any

import strawberry

from app.admin.context import AdminInfo
from app.admin.inputs import checked_placement, checked_range
from app.attribution.queries import KpiRow as KpiRecord
from app.attribution.queries import kpis


@strawberry.enum(description="What KPI rows are grouped by (none: one row for the range).")
class KpiGroup(Enum):
    DAY = "day"
    PLACEMENT = "placement"
    VARIANT = "variant"
    EXPERIMENT = "experiment"


@strawberry.type(description=(
    "KPIs of the shop's served lists, summed over the group. Revenues are net of refunds; "
    "ratios are 0 where their denominator is 0; contribution margin is null unless unit "
    "costs are known; latency is the server's own time to the list (null: none served)."))
class KpiRow:
    day: date | None
    placement: str | None
    experiment_id: strawberry.ID | None
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

    @classmethod
    def from_domain(cls, row: KpiRecord) -> "KpiRow":
        values: dict[str, Any] = {name: getattr(row, name) for name in KPI_FIELDS}
        experiment = values["experiment_id"]
        values["experiment_id"] = None if experiment is None else strawberry.ID(str(experiment))
        return cls(**values)


KPI_FIELDS = tuple(KpiRow.__annotations__)


@strawberry.type
class KpiQuery:
    @strawberry.field(description=(
        "KPI rows from `from` to `to` (both included, at most 366 days), for one placement "
        "or all, grouped by `groupBy` (none: one row)."))
    async def kpis(
        self, info: AdminInfo,
        start: Annotated[date, strawberry.argument(name="from")],
        to: date,
        placement: str | None = None,
        group_by: list[KpiGroup] | None = None,
    ) -> list[KpiRow]:
        start, end = checked_range(start, to)
        groups = list(dict.fromkeys(group.value for group in group_by or ()))
        async with info.context.database() as session:
            rows = await kpis(session, info.context.shop.id, start, end,
                              checked_placement(placement), groups)
        return [KpiRow.from_domain(row) for row in rows]
