"""The OAuth states the Shopify app's install has used, until they expire.

Revision ID: 0013_shopify_install_states
Revises: 0012_rules
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.storage.database

revision: str = "0013_shopify_install_states"
down_revision: str | Sequence[str] | None = "0012_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shopify_used_states",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", app.storage.database.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_shopify_used_states")),
    )
    with op.batch_alter_table("shopify_used_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shopify_used_states_expires_at"), ["expires_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shopify_used_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopify_used_states_expires_at"))
    op.drop_table("shopify_used_states")
