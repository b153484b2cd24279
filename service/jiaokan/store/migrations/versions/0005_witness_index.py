"""The witness index: each document's sampled n-grams, the passages documents share, each
document's reliability and confirmed terms (`jiaokan.store.witness_index`).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite has it): a batch copy of `document` would drop the old table, and
    # with foreign keys on, its proposals with it
    op.add_column("collection", sa.Column("witness_index", sa.String(200), nullable=True))
    op.add_column("collection", sa.Column("witness_keys", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("document", sa.Column("units", sa.Text(), nullable=True))
    op.add_column("document", sa.Column("keys", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("document", sa.Column("reliability", sa.Float(), nullable=True))
    op.add_column("document", sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_document_collection_stale", "document", ["collection_id", "stale"])
    document = sa.ForeignKey("document.id", ondelete="CASCADE")
    op.create_table(
        "witness_gram",
        sa.Column("document_id", sa.Integer(), document, primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_witness_gram_collection_hash", "witness_gram", ["collection_id", "hash"])
    op.create_table(
        "witness_passage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("collection_id", sa.Integer(), nullable=False, index=True),
        sa.Column("first_id", sa.Integer(), sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("second_id", sa.Integer(), sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False, index=True),
        *(sa.Column(name, sa.Integer(), nullable=False)
          for name in ("first_start", "first_end", "second_start", "second_end", "anchors", "first_keys", "sampling")),
    )
    op.create_table(
        "witness_term",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("variant", sa.String(200), nullable=False),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
    )
    op.create_index("ix_witness_term_collection_variant", "witness_term", ["collection_id", "variant"])


def downgrade() -> None:
    op.drop_table("witness_term")
    op.drop_table("witness_passage")
    op.drop_table("witness_gram")
    op.drop_index("ix_document_collection_stale", "document")
    for name in ("stale", "reliability", "keys", "units"):
        op.drop_column("document", name)  # SQLite 3.35 and later drop a column in place
    op.drop_column("collection", "witness_keys")
    op.drop_column("collection", "witness_index")
