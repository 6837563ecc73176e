"""Review claims hold a case for a lease: when a claim lapses unless renewed.

A claim made before this revision gets the default lease (30 minutes) from the time
it was made, so the cases that moderators claimed and left are waiting again.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DEFAULT_LEASE_US = 30 * 60 * 1_000_000


def upgrade() -> None:
    with op.batch_alter_table("risk_cases") as batch:
        batch.add_column(sa.Column("claim_expires_us", sa.BigInteger(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE risk_cases SET claim_expires_us = claimed_us + :lease"
            " WHERE status = 'claimed' AND claimed_us IS NOT NULL"
        ).bindparams(lease=_DEFAULT_LEASE_US)
    )


def downgrade() -> None:
    with op.batch_alter_table("risk_cases") as batch:
        batch.drop_column("claim_expires_us")
