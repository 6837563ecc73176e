"""The item safety score (the highest classifier score an item's flags carried) and
the views per user and item (only a first view's engagement is trust-weighted).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_item_stats") as batch:
        batch.add_column(sa.Column("safety_score", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("feed_user_items") as batch:
        batch.add_column(sa.Column("views", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("feed_user_items") as batch:
        batch.drop_column("views")
    with op.batch_alter_table("feed_item_stats") as batch:
        batch.drop_column("safety_score")
