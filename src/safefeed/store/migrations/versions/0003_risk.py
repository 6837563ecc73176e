"""Tables of the risk funnel and the review queue.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_feedback",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("signal", sa.String(length=64), nullable=False),
        sa.Column("useful", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("ts_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_feedback")),
    )
    op.create_index(
        op.f("ix_review_feedback_case_id"), "review_feedback", ["case_id"], unique=False
    )
    op.create_table(
        "review_members",
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("added_by", sa.String(length=256), nullable=False),
        sa.Column("added_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("queue", "actor", name=op.f("pk_review_members")),
    )
    op.create_table(
        "risk_cases",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=256), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("peak_tier", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.Column("line", sa.JSON(), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("base_priority", sa.Float(), nullable=False),
        sa.Column("first_surfaced_us", sa.BigInteger(), nullable=False),
        sa.Column("queued_us", sa.BigInteger(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("claimed_by", sa.String(length=256), nullable=True),
        sa.Column("claimed_us", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(length=256), nullable=True),
        sa.Column("decided_us", sa.BigInteger(), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("changed_by", sa.String(length=256), nullable=True),
        sa.Column("config_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_risk_cases")),
    )
    op.create_index(
        op.f("ix_risk_cases_status_queue"), "risk_cases", ["status", "queue"], unique=False
    )
    op.create_index(
        op.f("ix_risk_cases_subject_type_subject_id"),
        "risk_cases",
        ["subject_type", "subject_id"],
        unique=False,
    )
    op.create_table(
        "risk_interventions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("irreversible", sa.Boolean(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("policy_state_set", sa.String(length=32), nullable=True),
        sa.Column("previous_policy_state", sa.String(length=32), nullable=True),
        sa.Column("applied_by", sa.String(length=256), nullable=False),
        sa.Column("approved_by", sa.String(length=256), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=True),
        sa.Column("ended_us", sa.BigInteger(), nullable=True),
        sa.Column("ended_by", sa.String(length=256), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("config_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_interventions")),
    )
    op.create_index(
        op.f("ix_risk_interventions_case_id"), "risk_interventions", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_risk_interventions_expires_us"), "risk_interventions", ["expires_us"], unique=False
    )
    op.create_index(
        op.f("ix_risk_interventions_state"), "risk_interventions", ["state"], unique=False
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_interventions_state"), table_name="risk_interventions")
    op.drop_index(op.f("ix_risk_interventions_expires_us"), table_name="risk_interventions")
    op.drop_index(op.f("ix_risk_interventions_case_id"), table_name="risk_interventions")
    op.drop_table("risk_interventions")
    op.drop_index(op.f("ix_risk_cases_subject_type_subject_id"), table_name="risk_cases")
    op.drop_index(op.f("ix_risk_cases_status_queue"), table_name="risk_cases")
    op.drop_table("risk_cases")
    op.drop_table("review_members")
    op.drop_index(op.f("ix_review_feedback_case_id"), table_name="review_feedback")
    op.drop_table("review_feedback")
    # ### end Alembic commands ###
