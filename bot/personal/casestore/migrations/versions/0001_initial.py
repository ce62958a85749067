"""Initial case store: workers, advocates, young people, reviews.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("worker_ref", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("availability", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('social_worker', 'iro', 'personal_adviser')", name="ck_workers_kind"),
        sa.UniqueConstraint("worker_ref"),
    )
    op.create_table(
        "advocates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("advocate_ref", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("availability", sa.Text(), nullable=True),
        sa.UniqueConstraint("advocate_ref"),
    )
    op.create_table(
        "young_people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_ref", sa.String(64), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("council", sa.String(64), nullable=False),
        sa.Column("legal_status", sa.String(100), nullable=True),
        sa.Column("looked_after_since", sa.Date(), nullable=True),
        sa.Column("care_leaver", sa.Boolean(), nullable=False),
        sa.Column("social_worker_id", sa.Integer(), sa.ForeignKey("workers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("iro_id", sa.Integer(), sa.ForeignKey("workers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("personal_adviser_id", sa.Integer(), sa.ForeignKey("workers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("advocate_id", sa.Integer(), sa.ForeignKey("advocates.id", ondelete="SET NULL"), nullable=True),
        sa.UniqueConstraint("case_ref"),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_ref", sa.String(64), nullable=False),
        sa.Column("young_person_id", sa.Integer(), sa.ForeignKey("young_people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("booked_date", sa.Date(), nullable=True),
        sa.Column("held_date", sa.Date(), nullable=True),
        sa.Column("chair_id", sa.Integer(), sa.ForeignKey("workers.id", ondelete="SET NULL"), nullable=True),
        sa.CheckConstraint("kind IN ('initial', 'second', 'subsequent', 'pathway_plan')", name="ck_reviews_kind"),
        sa.UniqueConstraint("review_ref"),
    )
    op.create_index("ix_reviews_young_person_id", "reviews", ["young_person_id"])


def downgrade() -> None:
    op.drop_index("ix_reviews_young_person_id", table_name="reviews")
    op.drop_table("reviews")
    op.drop_table("young_people")
    op.drop_table("advocates")
    op.drop_table("workers")
