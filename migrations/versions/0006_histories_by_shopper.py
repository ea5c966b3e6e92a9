"""Index a shopper's history by shop and shopper.

Every personalized request reads one visitor's or customer's recent events, the
customer's orders and their linked visitors. With indexes on the shopper column alone,
SQLite chose the shop index instead and walked every event (or order) of the shop on
each request; the composite indexes below lead with the shop and end with the time the
reads sort by. They replace the single-column ones, so writes keep the same number of
indexes to maintain.

Revision ID: 0006_histories_by_shopper
Revises: 0005_products_by_change
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_histories_by_shopper"
down_revision: str | Sequence[str] | None = "0005_products_by_change"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, single-column index replaced, composite index, its columns)
REPLACED = (
    ("events", "ix_events_visitor_id", "ix_events_shop_id_visitor_id_occurred_at",
     ["shop_id", "visitor_id", "occurred_at"], ["visitor_id"]),
    ("events", "ix_events_customer_id", "ix_events_shop_id_customer_id_occurred_at",
     ["shop_id", "customer_id", "occurred_at"], ["customer_id"]),
    ("orders", "ix_orders_customer_id", "ix_orders_shop_id_customer_id_placed_at",
     ["shop_id", "customer_id", "placed_at"], ["customer_id"]),
    ("visitor_links", "ix_visitor_links_customer_id", "ix_visitor_links_shop_id_customer_id",
     ["shop_id", "customer_id"], ["customer_id"]),
)


def upgrade() -> None:
    for table, single, composite, columns, _ in REPLACED:
        op.create_index(composite, table, columns)
        op.drop_index(single, table_name=table)


def downgrade() -> None:
    for table, single, composite, _, column in REPLACED:
        op.create_index(single, table, column)
        op.drop_index(composite, table_name=table)
