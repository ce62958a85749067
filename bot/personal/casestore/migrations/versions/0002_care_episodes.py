"""Care episodes: start, end and legal status of each period in care, per young person.

``young_people.date_of_birth`` already exists (NOT NULL since 0001), so only the new
table is added. Nothing is backfilled: episodes arrive with the next import.

Revision ID: 0002_care_episodes
Revises: 0001_initial
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_care_episodes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_episodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("episode_ref", sa.String(64), nullable=False),
        sa.Column("young_person_id", sa.Integer(), sa.ForeignKey("young_people.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("legal_status", sa.String(32), nullable=False),
        sa.CheckConstraint(
            "legal_status IN ('s20', 's31', 's38', 'epo', 'placement_order', 'remand', 'police_protection', 'sgo', "
            "'adoption')",
            name="ck_care_episodes_legal_status"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_care_episodes_dates"),
        sa.UniqueConstraint("episode_ref"),
    )
    op.create_index("ix_care_episodes_young_person_id", "care_episodes", ["young_person_id"])


def downgrade() -> None:
    op.drop_index("ix_care_episodes_young_person_id", table_name="care_episodes")
    op.drop_table("care_episodes")
