"""Experiments, and what every served list records for them: its experiment, variant and
the server's own latency.

Revision ID: 0010_experiments
Revises: 0009_hardening
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.storage.database

revision: str = "0010_experiments"
down_revision: str | Sequence[str] | None = "0009_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("control", sa.String(length=64), nullable=False),
        sa.Column("guardrails", sa.JSON(), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("created_at", app.storage.database.UtcDateTime(), nullable=False),
        sa.Column("started_at", app.storage.database.UtcDateTime(), nullable=True),
        sa.Column("stopped_at", app.storage.database.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                name=op.f("fk_experiments_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("shop_id", "name", name=op.f("uq_experiments_shop_id_name")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_shop_id"), ["shop_id"], unique=False)
    with op.batch_alter_table("rankings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("variant", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("latency_ms", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rankings", schema=None) as batch_op:
        batch_op.drop_column("latency_ms")
        batch_op.drop_column("variant")
        batch_op.drop_column("experiment_id")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_shop_id"))
    op.drop_table("experiments")
