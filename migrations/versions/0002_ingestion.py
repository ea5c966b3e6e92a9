"""ingestion: webhook inbox and rejections, stock per location, refunds, privacy, sync

Revision ID: 0002_ingestion
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ingestion"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                   name=op.f(f"fk_{table}_shop_id_shops"), ondelete="CASCADE")


def _shop_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_shop_id"), table, ["shop_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        _shop_fk("webhook_deliveries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("shop_id", "platform", "delivery_id",
                            name=op.f("uq_webhook_deliveries_shop_id_platform_delivery_id")),
        sa.UniqueConstraint("shop_id", "platform", "topic", "event_id",
                            name=op.f("uq_webhook_deliveries_shop_id_platform_topic_event_id")),
    )
    _shop_index("webhook_deliveries")
    op.create_index("ix_webhook_deliveries_status_next_attempt_at", "webhook_deliveries",
                    ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("webhook_rejections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_rejections")),
    )
    _shop_index("webhook_rejections")

    op.create_table(
        "inventory_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("available", sa.Integer(), nullable=True),
        sa.Column("platform_updated_at", sa.DateTime(timezone=True), nullable=True),
        _shop_fk("inventory_levels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_levels")),
        sa.UniqueConstraint(
            "shop_id", "inventory_item_id", "location_id",
            name=op.f("uq_inventory_levels_shop_id_inventory_item_id_location_id")),
    )
    _shop_index("inventory_levels")

    op.create_table(
        "refund_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("order_platform_id", sa.String(length=64), nullable=False),
        sa.Column("line_platform_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("refund_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_lines")),
        sa.UniqueConstraint("shop_id", "refund_id", "line_platform_id",
                            name=op.f("uq_refund_lines_shop_id_refund_id_line_platform_id")),
    )
    _shop_index("refund_lines")
    op.create_index(op.f("ix_refund_lines_order_platform_id"), "refund_lines",
                    ["order_platform_id"], unique=False)

    op.create_table(
        "privacy_suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("privacy_suppressions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_suppressions")),
        sa.UniqueConstraint("shop_id", "subject_hash",
                            name=op.f("uq_privacy_suppressions_shop_id_subject_hash")),
    )
    _shop_index("privacy_suppressions")

    op.create_table(
        "privacy_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("privacy_exports"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_exports")),
    )
    _shop_index("privacy_exports")
    op.create_index(op.f("ix_privacy_exports_subject_hash"), "privacy_exports",
                    ["subject_hash"], unique=False)

    op.create_table(
        "sync_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _shop_fk("sync_checkpoints"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_checkpoints")),
        sa.UniqueConstraint("shop_id", "resource", name=op.f("uq_sync_checkpoints_shop_id_resource")),
    )
    _shop_index("sync_checkpoints")


def downgrade() -> None:
    for table in ("sync_checkpoints", "privacy_exports", "privacy_suppressions", "refund_lines",
                  "inventory_levels", "webhook_rejections", "webhook_deliveries"):
        op.drop_table(table)
