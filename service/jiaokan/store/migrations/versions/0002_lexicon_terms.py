"""Lexicon terms managed through the API; the engine config a collection was computed with.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "term",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("term", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("collection") as batch:
        # NULL: computed with an unknown config, so the next load recomputes it
        batch.add_column(sa.Column("config_fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collection") as batch:
        batch.drop_column("config_fingerprint")
    op.drop_table("term")
