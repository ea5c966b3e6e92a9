"""Hardening: what the server needs to be safe on the internet.

Each part below is one concern; ``upgrade`` runs them in order and ``downgrade`` undoes
them in reverse. Secrets at rest need no schema change: a migration has no key, so secrets
stored in plain text are encrypted by each server as it starts, or by
``affinity secrets encrypt``.

Revision ID: 0009_hardening
Revises: 0008_products_by_age_and_id
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_hardening"
down_revision: str | Sequence[str] | None = "0008_products_by_age_and_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# --- storefront proof (server keys, customer tokens) -------------------------------------
def _upgrade_storefront_proof() -> None:
    # Existing shops get their server key and customer-token secret from
    # `affinity shop rotate-keys`: only a hash, and only an encrypted secret, are stored.
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_key_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("customer_token_secret", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_shops_server_key_hash"), ["server_key_hash"])


def _downgrade_storefront_proof() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shops_server_key_hash"), type_="unique")
        batch_op.drop_column("customer_token_secret")
        batch_op.drop_column("server_key_hash")


# --- event sources (distinct shoppers and addresses for co-views and trends) --------------
def _upgrade_event_sources() -> None:
    # A keyed hash of the sender's network address (never the address itself).
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=32), nullable=True))


def _downgrade_event_sources() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("source_key")


def upgrade() -> None:
    _upgrade_storefront_proof()
    _upgrade_event_sources()


def downgrade() -> None:
    _downgrade_event_sources()
    _downgrade_storefront_proof()
