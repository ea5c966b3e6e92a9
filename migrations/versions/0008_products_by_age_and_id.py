"""Index products by shop, age and id.

The newest products are read in ``created_at, id`` order. With ``(shop_id, created_at)``
alone PostgreSQL sorted every product sharing a creation time to break the tie (a catalog
imported at once: the whole shop, 120 ms at 100k products); with the id in the index the
read stops after the first rows. SQLite's indexes already ended with the row id.

Revision ID: 0008_products_by_age_and_id
Revises: 0007_rankings_by_customer
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_products_by_age_and_id"
down_revision: str | Sequence[str] | None = "0007_rankings_by_customer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_products_shop_id_created_at_id", "products",
                    ["shop_id", "created_at", "id"])
    op.drop_index("ix_products_shop_id_created_at", table_name="products")


def downgrade() -> None:
    op.create_index("ix_products_shop_id_created_at", "products", ["shop_id", "created_at"])
    op.drop_index("ix_products_shop_id_created_at_id", table_name="products")
