"""Merchandising rules and their audit trail.

Revision ID: 0012_rules
Revises: 0011_attribution
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.storage.database

revision: str = "0012_rules"
down_revision: str | Sequence[str] | None = "0011_attribution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("placement", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("price_min", sa.Float(), nullable=True),
        sa.Column("price_max", sa.Float(), nullable=True),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("strength", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.storage.database.UtcDateTime(), nullable=False),
        sa.Column("updated_at", app.storage.database.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                name=op.f("fk_rules_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    with op.batch_alter_table("rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rules_shop_id"), ["shop_id"], unique=False)
    op.create_table(
        "rule_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", app.storage.database.UtcDateTime(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                name=op.f("fk_rule_audit_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_audit")),
    )
    with op.batch_alter_table("rule_audit", schema=None) as batch_op:
        batch_op.create_index("ix_rule_audit_shop_id_id", ["shop_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_audit_shop_id_id")
    op.drop_table("rule_audit")
    with op.batch_alter_table("rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rules_shop_id"))
    op.drop_table("rules")
