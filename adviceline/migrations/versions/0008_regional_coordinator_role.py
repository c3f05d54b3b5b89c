"""room for the role name regional_coordinator

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths (and a batch copy of users would trip the foreign
    # keys pointing at it); PostgreSQL does.
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('users', 'role', existing_type=sa.String(length=16),
                        type_=sa.String(length=32))


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('users', 'role', existing_type=sa.String(length=32),
                        type_=sa.String(length=16))
