"""Who changed a risk case, as a person (``risk_cases.changed_by_owner``) beside the
actor: the review queue refuses an approval from the owner of the change, whichever key
they use.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_cases") as batch:
        batch.add_column(sa.Column("changed_by_owner", sa.String(length=256), nullable=True))
    # A change waiting from before: a key's (``key:NAME``) owner is its name (0005), the
    # command line's (``cli:LOGIN``) is the login name; any other actor is its own owner.
    op.execute(
        "UPDATE risk_cases SET changed_by_owner = CASE"
        " WHEN substr(changed_by, 1, 4) IN ('key:', 'cli:') THEN substr(changed_by, 5)"
        " ELSE changed_by END"
        " WHERE changed_by IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("risk_cases") as batch:
        batch.drop_column("changed_by_owner")
