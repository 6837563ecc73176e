"""Which model made a content row's embedding: none for the platform's own (the
``content.published`` event's), else the engine's sentence model. Vectors of different
models are never compared (the feed keeps one index per embedding space).

A store that embedded text before this revision (feed ``text_embeddings: true``) holds
those vectors as if the platform had sent them: publishing the items again, or
clearing their ``embedding`` so the next publish embeds them, files them under the
model.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.add_column(sa.Column("embedding_model", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.drop_column("embedding_model")
