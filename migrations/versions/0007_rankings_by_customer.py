"""Index served lists by shop and customer.

Erasing a customer (``customers/redact``) deletes the lists served to them; without this
index the delete walked every list the shop ever served, holding SQLite's write lock
meanwhile.

Revision ID: 0007_rankings_by_customer
Revises: 0006_histories_by_shopper
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_rankings_by_customer"
down_revision: str | Sequence[str] | None = "0006_histories_by_shopper"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_rankings_shop_id_customer_id", "rankings", ["shop_id", "customer_id"])


def downgrade() -> None:
    op.drop_index("ix_rankings_shop_id_customer_id", table_name="rankings")
