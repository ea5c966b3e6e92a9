"""core schema

Revision ID: 0001_core
Revises: 
Create Date: 2026-11-27 01:59:14.564449
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_core"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("shops",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("domain", sa.String(length=255), nullable=False),
    sa.Column("platform", sa.String(length=32), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("storefront_key", sa.String(length=64), nullable=False),
    sa.Column("admin_token_hash", sa.String(length=64), nullable=False),
    sa.Column("webhook_secrets", sa.JSON(), nullable=False),
    sa.Column("storefront_origins", sa.JSON(), nullable=False),
    sa.Column("settings", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
    sa.UniqueConstraint("domain", name=op.f("uq_shops_domain")),
    sa.UniqueConstraint("storefront_key", name=op.f("uq_shops_storefront_key"))
    )
    op.create_table("collections",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("platform_id", sa.String(length=64), nullable=False),
    sa.Column("handle", sa.String(length=255), nullable=True),
    sa.Column("title", sa.String(length=512), nullable=False),
    sa.Column("platform_updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_collections_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    sa.UniqueConstraint("shop_id", "platform_id", name=op.f("uq_collections_shop_id_platform_id"))
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_shop_id"), ["shop_id"], unique=False)

    op.create_table("index_builds",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("model_name", sa.String(length=255), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("file_name", sa.String(length=255), nullable=False),
    sa.Column("item_count", sa.Integer(), nullable=False),
    sa.Column("snapshot_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_index_builds_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_index_builds")),
    sa.UniqueConstraint("shop_id", "model_name", "version", name=op.f("uq_index_builds_shop_id_model_name_version"))
    )
    with op.batch_alter_table("index_builds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_index_builds_shop_id"), ["shop_id"], unique=False)

    op.create_table("orders",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("platform_id", sa.String(length=64), nullable=False),
    sa.Column("customer_id", sa.String(length=64), nullable=True),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cancelled", sa.Boolean(), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=True),
    sa.Column("platform_updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_orders_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    sa.UniqueConstraint("shop_id", "platform_id", name=op.f("uq_orders_shop_id_platform_id"))
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_placed_at"), ["placed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_shop_id"), ["shop_id"], unique=False)

    op.create_table("products",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("platform_id", sa.String(length=64), nullable=False),
    sa.Column("handle", sa.String(length=255), nullable=True),
    sa.Column("title", sa.String(length=512), nullable=False),
    sa.Column("body_text", sa.Text(), nullable=False),
    sa.Column("vendor", sa.String(length=255), nullable=True),
    sa.Column("product_type", sa.String(length=255), nullable=True),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("published", sa.Boolean(), nullable=False),
    sa.Column("price_min", sa.Float(), nullable=True),
    sa.Column("price_max", sa.Float(), nullable=True),
    sa.Column("currency", sa.String(length=3), nullable=True),
    sa.Column("image_url", sa.String(length=1024), nullable=True),
    sa.Column("url", sa.String(length=1024), nullable=True),
    sa.Column("inventory_quantity", sa.Integer(), nullable=True),
    sa.Column("available", sa.Boolean(), nullable=False),
    sa.Column("deleted", sa.Boolean(), nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("platform_updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_products_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    sa.UniqueConstraint("shop_id", "platform_id", name=op.f("uq_products_shop_id_platform_id"))
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_shop_id"), ["shop_id"], unique=False)

    op.create_table("collection_products",
    sa.Column("collection_key", sa.Integer(), nullable=False),
    sa.Column("product_key", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["collection_key"], ["collections.id"], name=op.f("fk_collection_products_collection_key_collections"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["product_key"], ["products.id"], name=op.f("fk_collection_products_product_key_products"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_collection_products_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("collection_key", "product_key", name=op.f("pk_collection_products"))
    )
    with op.batch_alter_table("collection_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_products_product_key"), ["product_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_products_shop_id"), ["shop_id"], unique=False)

    op.create_table("order_lines",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("order_key", sa.Integer(), nullable=False),
    sa.Column("platform_id", sa.String(length=64), nullable=False),
    sa.Column("product_id", sa.String(length=64), nullable=True),
    sa.Column("variant_id", sa.String(length=64), nullable=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("refunded_quantity", sa.Integer(), nullable=False),
    sa.Column("price", sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(["order_key"], ["orders.id"], name=op.f("fk_order_lines_order_key_orders"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_order_lines_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    sa.UniqueConstraint("order_key", "platform_id", name=op.f("uq_order_lines_order_key_platform_id"))
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_key"), ["order_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_shop_id"), ["shop_id"], unique=False)

    op.create_table("product_embeddings",
    sa.Column("product_key", sa.Integer(), nullable=False),
    sa.Column("model_name", sa.String(length=255), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("dimension", sa.Integer(), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["product_key"], ["products.id"], name=op.f("fk_product_embeddings_product_key_products"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_product_embeddings_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("product_key", "model_name", name=op.f("pk_product_embeddings"))
    )
    with op.batch_alter_table("product_embeddings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_embeddings_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_embeddings_updated_at"), ["updated_at"], unique=False)

    op.create_table("variants",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("product_key", sa.Integer(), nullable=False),
    sa.Column("platform_id", sa.String(length=64), nullable=False),
    sa.Column("title", sa.String(length=255), nullable=True),
    sa.Column("sku", sa.String(length=255), nullable=True),
    sa.Column("price", sa.Float(), nullable=True),
    sa.Column("inventory_item_id", sa.String(length=64), nullable=True),
    sa.Column("inventory_quantity", sa.Integer(), nullable=True),
    sa.Column("inventory_tracked", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(["product_key"], ["products.id"], name=op.f("fk_variants_product_key_products"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_variants_shop_id_shops"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_variants")),
    sa.UniqueConstraint("shop_id", "platform_id", name=op.f("uq_variants_shop_id_platform_id"))
    )
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variants_inventory_item_id"), ["inventory_item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_variants_product_key"), ["product_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_variants_shop_id"), ["shop_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variants_shop_id"))
        batch_op.drop_index(batch_op.f("ix_variants_product_key"))
        batch_op.drop_index(batch_op.f("ix_variants_inventory_item_id"))

    op.drop_table("variants")
    with op.batch_alter_table("product_embeddings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_embeddings_updated_at"))
        batch_op.drop_index(batch_op.f("ix_product_embeddings_shop_id"))

    op.drop_table("product_embeddings")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_shop_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_order_key"))

    op.drop_table("order_lines")
    with op.batch_alter_table("collection_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_products_shop_id"))
        batch_op.drop_index(batch_op.f("ix_collection_products_product_key"))

    op.drop_table("collection_products")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_shop_id"))

    op.drop_table("products")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_shop_id"))
        batch_op.drop_index(batch_op.f("ix_orders_placed_at"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("index_builds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_builds_shop_id"))

    op.drop_table("index_builds")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_shop_id"))

    op.drop_table("collections")
    op.drop_table("shops")
