"""Index products by shop and last write.

Serving keeps each shop's catalog in memory and reads, about once a second, the products
written since; without this index that read walked the whole shop.

Revision ID: 0005_products_by_change
Revises: 0004_products_by_age
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_products_by_change"
down_revision: str | Sequence[str] | None = "0004_products_by_age"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_products_shop_id_updated_at", "products", ["shop_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_products_shop_id_updated_at", table_name="products")
