"""Tables of the feed's state: affinities, sessions, seen sets, served log.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_affinities",
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", "key", name=op.f("pk_feed_affinities")),
    )
    op.create_table(
        "feed_controls",
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("reset_us", sa.BigInteger(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_feed_controls")),
    )
    op.create_table(
        "feed_creator_stats",
        sa.Column("creator_id", sa.String(length=256), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("w_impressions", sa.Float(), nullable=False),
        sa.Column("w_follows", sa.Float(), nullable=False),
        sa.Column("w_negative", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("creator_id", name=op.f("pk_feed_creator_stats")),
    )
    op.create_index(
        op.f("ix_feed_creator_stats_revision"), "feed_creator_stats", ["revision"], unique=False
    )
    op.create_table(
        "feed_item_stats",
        sa.Column("content_id", sa.String(length=256), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("w_impressions", sa.Float(), nullable=False),
        sa.Column("w_opens", sa.Float(), nullable=False),
        sa.Column("w_dwell_ratio", sa.Float(), nullable=False),
        sa.Column("w_dwells", sa.Float(), nullable=False),
        sa.Column("w_saves", sa.Float(), nullable=False),
        sa.Column("w_likes", sa.Float(), nullable=False),
        sa.Column("w_hides", sa.Float(), nullable=False),
        sa.Column("w_reports", sa.Float(), nullable=False),
        sa.Column("n_impressions", sa.Float(), nullable=False),
        sa.Column("n_opens", sa.Float(), nullable=False),
        sa.Column("n_dwell_s", sa.Float(), nullable=False),
        sa.Column("n_hides", sa.Float(), nullable=False),
        sa.Column("n_reports", sa.Float(), nullable=False),
        sa.Column("velocity", sa.Float(), nullable=False),
        sa.Column("velocity_us", sa.BigInteger(), nullable=False),
        sa.Column("low_trust_share", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("content_id", name=op.f("pk_feed_item_stats")),
    )
    op.create_index(
        op.f("ix_feed_item_stats_revision"), "feed_item_stats", ["revision"], unique=False
    )
    op.create_table(
        "feed_mutes",
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("creator_id", sa.String(length=256), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "creator_id", name=op.f("pk_feed_mutes")),
    )
    op.create_table(
        "feed_requests",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ts_us", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_feed_requests")),
    )
    op.create_index(op.f("ix_feed_requests_ts_us"), "feed_requests", ["ts_us"], unique=False)
    op.create_index(
        op.f("ix_feed_requests_user_id_surface_ts_us"),
        "feed_requests",
        ["user_id", "surface", "ts_us"],
        unique=False,
    )
    op.create_table(
        "feed_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_revision")),
    )
    op.create_table(
        "feed_served",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("content_id", sa.String(length=256), nullable=False),
        sa.Column("creator_id", sa.String(length=256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("ts_us", sa.BigInteger(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_served")),
    )
    op.create_index(
        op.f("ix_feed_served_content_id_ts_us"),
        "feed_served",
        ["content_id", "ts_us"],
        unique=False,
    )
    op.create_index(op.f("ix_feed_served_request_id"), "feed_served", ["request_id"], unique=False)
    op.create_table(
        "feed_sessions",
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("session_id", sa.String(length=256), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_feed_sessions")),
    )
    op.create_table(
        "feed_user_items",
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("content_id", sa.String(length=256), nullable=False),
        sa.Column("seen_us", sa.BigInteger(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "content_id", name=op.f("pk_feed_user_items")),
    )
    # The single revision row the serving processes poll (see FeedRevision).
    op.execute("INSERT INTO feed_revision (id, revision) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("feed_user_items")
    op.drop_table("feed_sessions")
    op.drop_index(op.f("ix_feed_served_request_id"), table_name="feed_served")
    op.drop_index(op.f("ix_feed_served_content_id_ts_us"), table_name="feed_served")
    op.drop_table("feed_served")
    op.drop_table("feed_revision")
    op.drop_index(op.f("ix_feed_requests_user_id_surface_ts_us"), table_name="feed_requests")
    op.drop_index(op.f("ix_feed_requests_ts_us"), table_name="feed_requests")
    op.drop_table("feed_requests")
    op.drop_table("feed_mutes")
    op.drop_index(op.f("ix_feed_item_stats_revision"), table_name="feed_item_stats")
    op.drop_table("feed_item_stats")
    op.drop_index(op.f("ix_feed_creator_stats_revision"), table_name="feed_creator_stats")
    op.drop_table("feed_creator_stats")
    op.drop_table("feed_controls")
    op.drop_table("feed_affinities")
