"""engine: storefront events, visitor links and served rankings

Revision ID: 0003_engine
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_engine"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                   name=op.f(f"fk_{table}_shop_id_shops"), ondelete="CASCADE")


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("visitor_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("variant_id", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=512), nullable=True),
        sa.Column("recommendation_id", sa.String(length=64), nullable=True),
        sa.Column("dwell_ms", sa.Integer(), nullable=True),
        sa.Column("personalization", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("shop_id", "event_id", name=op.f("uq_events_shop_id_event_id")),
    )
    for column in ("shop_id", "visitor_id", "customer_id", "recommendation_id", "occurred_at"):
        _index("events", column)


def _links() -> None:
    op.create_table(
        "visitor_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("visitor_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_links")),
        sa.UniqueConstraint("shop_id", "visitor_id",
                            name=op.f("uq_visitor_links_shop_id_visitor_id")),
    )
    _index("visitor_links", "shop_id")
    _index("visitor_links", "customer_id")


def _rankings() -> None:
    op.create_table(
        "rankings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=32), nullable=False),
        sa.Column("visitor_id", sa.String(length=128), nullable=True),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("product_ids", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("rankings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rankings")),
        sa.UniqueConstraint("recommendation_id", name=op.f("uq_rankings_recommendation_id")),
    )
    for column in ("shop_id", "visitor_id", "created_at"):
        _index("rankings", column)


def upgrade() -> None:
    _events()
    _links()
    _rankings()


def downgrade() -> None:
    op.drop_table("rankings")
    op.drop_table("visitor_links")
    op.drop_table("events")
