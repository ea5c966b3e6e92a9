"""Attribution: the recommendation ids orders carry, unit costs, and the KPI rollups with
the watermarks that fold new rows into them exactly once.

Revision ID: 0011_attribution
Revises: 0010_experiments
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.storage.database

revision: str = "0011_attribution"
down_revision: str | Sequence[str] | None = "0010_experiments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ("shop_id", "day", "placement", "experiment_id", "variant")


def _shop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                   name=op.f(f"fk_{table}_shop_id_shops"), ondelete="CASCADE")


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("placement", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
    ]


def _counter(name: str, kind: type[sa.Integer] | type[sa.Float] = sa.Integer) -> sa.Column[object]:
    return sa.Column(name, kind(), nullable=False)


def _create_rollups() -> None:
    op.create_table(
        "kpi_daily",
        *_key_columns(),
        *(_counter(name) for name in ("served", "impressions", "clicks", "add_to_carts",
                                      "visitors", "orders")),
        _counter("attributed_revenue", sa.Float),
        _counter("refunded_revenue", sa.Float),
        _counter("recommended_order_revenue", sa.Float),
        _counter("view_through_orders"),
        _counter("view_through_revenue", sa.Float),
        _counter("plain_orders"),
        _counter("plain_order_revenue", sa.Float),
        _counter("margin", sa.Float),
        _counter("costed_lines"),
        _counter("unattributed_events"),
        _shop_fk("kpi_daily"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_daily")),
        sa.UniqueConstraint(*KEY, name=op.f("uq_kpi_daily_shop_id_day_placement_experiment_id_variant")),
    )
    op.create_table(
        "kpi_latency",
        *_key_columns(),
        _counter("bucket"),
        _counter("count"),
        _shop_fk("kpi_latency"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_latency")),
        sa.UniqueConstraint(*KEY, "bucket",
                            name=op.f("uq_kpi_latency_shop_id_day_placement_experiment_id_variant_bucket")),
    )
    op.create_table(
        "kpi_visitor_days",
        *_key_columns(),
        sa.Column("shopper", sa.String(length=128), nullable=False),
        _shop_fk("kpi_visitor_days"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_visitor_days")),
        sa.UniqueConstraint(*KEY, "shopper",
                            name=op.f("uq_kpi_visitor_days_shop_id_day_placement_experiment_id_variant_shopper")),
    )


def _create_units_and_lines() -> None:
    op.create_table(
        "experiment_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("shopper", sa.String(length=128), nullable=False),
        *(_counter(name) for name in ("impressions", "clicks", "add_to_carts", "orders")),
        _counter("revenue", sa.Float),
        _shop_fk("experiment_units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_units")),
        sa.UniqueConstraint("shop_id", "experiment_id", "variant", "shopper",
                            name=op.f("uq_experiment_units_shop_id_experiment_id_variant_shopper")),
    )
    op.create_table(
        "attributed_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_platform_id", sa.String(length=64), nullable=False),
        sa.Column("line_platform_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("placement", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("shopper", sa.String(length=128), nullable=True),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("unit_cost", sa.Float(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("refunded_quantity", sa.Integer(), nullable=False),
        _shop_fk("attributed_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attributed_lines")),
        sa.UniqueConstraint("shop_id", "order_platform_id", "line_platform_id",
                            name=op.f("uq_attributed_lines_shop_id_order_platform_id_line_platform_id")),
    )
    op.create_table(
        "rollup_watermarks",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("updated_at", app.storage.database.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_rollup_watermarks")),
    )


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recommendation_ids", sa.JSON(), nullable=False,
                                      server_default="[]"))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recommendation_id", sa.String(length=64), nullable=True))
    op.create_table(
        "inventory_item_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=64), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("platform_updated_at", app.storage.database.UtcDateTime(), nullable=True),
        _shop_fk("inventory_item_costs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_item_costs")),
        sa.UniqueConstraint("shop_id", "inventory_item_id",
                            name=op.f("uq_inventory_item_costs_shop_id_inventory_item_id")),
    )
    op.create_index(op.f("ix_inventory_item_costs_shop_id"), "inventory_item_costs", ["shop_id"],
                    unique=False)
    _create_rollups()
    _create_units_and_lines()


def downgrade() -> None:
    for table in ("rollup_watermarks", "attributed_lines", "experiment_units",
                  "kpi_visitor_days", "kpi_latency", "kpi_daily"):
        op.drop_table(table)
    op.drop_index(op.f("ix_inventory_item_costs_shop_id"), table_name="inventory_item_costs")
    op.drop_table("inventory_item_costs")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("recommendation_id")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("recommendation_ids")
