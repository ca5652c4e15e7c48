"""Registered OAuth clients and secret values.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
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
        "registered_clients",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "secret_values",
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("variable_id", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("value_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("account", "variable_id", "version"),
    )
    op.bulk_insert(
        sa.table("versions", sa.column("name", sa.String), sa.column("version", sa.Integer)),
        [{"name": "clients", "version": 0}],
    )


def downgrade() -> None:
    op.execute("DELETE FROM versions WHERE name = 'clients'")
    op.drop_table("secret_values")
    op.drop_table("registered_clients")
