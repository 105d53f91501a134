"""narrowcast: random pick and failure reason on sends

Revision ID: 0006_narrowcast
Revises: 0005_chat
Create Date: 2026-11-26 17:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_narrowcast'
down_revision: str | None = '0005_chat'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_recipients', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seed', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('pick_threshold', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('failed_description', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.drop_column('failed_description')
        batch_op.drop_column('error_code')
        batch_op.drop_column('pick_threshold')
        batch_op.drop_column('seed')
        batch_op.drop_column('max_recipients')
