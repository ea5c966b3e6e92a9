"""Published index and model versions, their files in chunks (``artefact_store=postgres``).

Revision ID: 0014_artefacts
Revises: 0013_shopify_install_states
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.storage.database

revision: str = "0014_artefacts"
down_revision: str | Sequence[str] | None = "0013_shopify_install_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artefact_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("published_at", app.storage.database.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"],
                                name=op.f("fk_artefact_versions_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artefact_versions")),
        sa.UniqueConstraint("shop_id", "kind", "name", "version",
                            name=op.f("uq_artefact_versions_shop_id_kind_name_version")),
    )
    with op.batch_alter_table("artefact_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artefact_versions_shop_id"), ["shop_id"],
                              unique=False)
    op.create_table(
        "artefact_chunks",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["artefact_versions.id"],
                                name=op.f("fk_artefact_chunks_version_id_artefact_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "file_name", "chunk_no",
                                name=op.f("pk_artefact_chunks")),
    )


def downgrade() -> None:
    op.drop_table("artefact_chunks")
    with op.batch_alter_table("artefact_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artefact_versions_shop_id"))
    op.drop_table("artefact_versions")
