"""group reply tokens move into reply_tokens (group_id or user_id), so delivery renews them

Revision ID: 0008_group_reply_tokens
Revises: 0007_groups
Create Date: 2026-11-26 20:50:27.083753
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openoa.core.db

revision: str = '0008_group_reply_tokens'
down_revision: str | None = '0007_groups'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A token answers a person (1:1 event) or a group (group or room event), never both.
ONE_RECIPIENT = '(user_id IS NULL) <> (group_id IS NULL)'


def upgrade() -> None:
    with op.batch_alter_table('reply_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id',
               existing_type=sa.Integer(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_reply_tokens_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reply_tokens_group_id_groups'), 'groups', ['group_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(batch_op.f('ck_reply_tokens_one_recipient'), ONE_RECIPIENT)

    op.execute(sa.text(
        'INSERT INTO reply_tokens (token_hash, account_id, user_id, group_id, created_at, expires_at, used_at) '
        'SELECT token_hash, account_id, NULL, group_id, created_at, expires_at, used_at FROM group_reply_tokens'))
    op.drop_table('group_reply_tokens')


def downgrade() -> None:
    op.create_table('group_reply_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', openoa.core.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', openoa.core.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', openoa.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['official_accounts.id'], name=op.f('fk_group_reply_tokens_account_id_official_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_reply_tokens_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_reply_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_group_reply_tokens_token_hash'))
    )
    op.execute(sa.text(
        'INSERT INTO group_reply_tokens (token_hash, group_id, account_id, created_at, expires_at, used_at) '
        'SELECT token_hash, group_id, account_id, created_at, expires_at, used_at FROM reply_tokens '
        'WHERE group_id IS NOT NULL'))
    op.execute(sa.text('DELETE FROM reply_tokens WHERE group_id IS NOT NULL'))

    with op.batch_alter_table('reply_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reply_tokens_one_recipient'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reply_tokens_group_id_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reply_tokens_group_id'))
        batch_op.alter_column('user_id',
               existing_type=sa.Integer(),
               nullable=False)
        batch_op.drop_column('group_id')
