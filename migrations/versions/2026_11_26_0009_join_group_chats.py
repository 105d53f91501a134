"""channels.join_group_chats: whether people may invite the account into group chats and rooms

Revision ID: 0009_join_group_chats
Revises: 0008_group_reply_tokens
Create Date: 2026-11-26 21:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_join_group_chats'
down_revision: str | None = '0008_group_reply_tokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On for every existing channel, as LINE starts Messaging API channels: until now OpenOA let
    # anyone who is friends with an account invite it.
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('join_group_chats', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('join_group_chats')
