"""Decisions with their history: who decided what, a typed reading, a comment, bulk batches.

A proposal keeps its latest decision (``status``, ``decided_by``, and now ``reading``, the
reviewer's own text for the span, and ``comment``); the ``decision`` table keeps every
decision taken, with what it replaced, so a bulk decision (one ``batch``) is undone as one step.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("reading", sa.Text(), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposal.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reading", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_status", sa.String(16), nullable=False),
        sa.Column("previous_reading", sa.Text(), nullable=True),
        sa.Column("batch", sa.String(32), nullable=True),
    )
    op.create_index("ix_decision_proposal_id", "decision", ["proposal_id"])
    op.create_index("ix_decision_batch", "decision", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_decision_batch", table_name="decision")
    op.drop_index("ix_decision_proposal_id", table_name="decision")
    op.drop_table("decision")
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("comment")
        batch.drop_column("reading")
