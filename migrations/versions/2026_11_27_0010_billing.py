"""billing: package changes (audited, downgrades scheduled), the additional-limit ceiling, daily message use

Revision ID: 0010_billing
Revises: 0009_join_group_chats
Create Date: 2026-11-27 04:06:31.642716
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openoa.core.db

revision: str = '0010_billing'
down_revision: str | None = '0009_join_group_chats'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('billing_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=20), nullable=False),
    sa.Column('from_value', sa.String(length=20), nullable=False),
    sa.Column('to_value', sa.String(length=20), nullable=False),
    sa.Column('effective_from', openoa.core.db.UTCDateTime(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', openoa.core.db.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', openoa.core.db.UTCDateTime(), nullable=True),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['official_accounts.id'], name=op.f('fk_billing_changes_account_id_official_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['business_id'], ['business_ids.id'], name=op.f('fk_billing_changes_business_id_business_ids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cancelled_by'], ['business_ids.id'], name=op.f('fk_billing_changes_cancelled_by_business_ids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_billing_changes_staff_id_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_changes'))
    )
    with op.batch_alter_table('billing_changes', schema=None) as batch_op:
        batch_op.create_index('ix_billing_changes_account_id', ['account_id', 'id'], unique=False)

    # A month's use was one row; it becomes one row per day. What was counted before keeps its
    # month and lands on the 1st (the day it happened was not recorded).
    with op.batch_alter_table('message_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('day', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_message_usage_account_id_year_month'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_usage_account_id_year_month_day'), ['account_id', 'year', 'month', 'day'])

    with op.batch_alter_table('official_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('additional_limit_ceiling', sa.Integer(), server_default='100000', nullable=False))
        batch_op.add_column(sa.Column('next_package', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('next_package_from', openoa.core.db.UTCDateTime(), nullable=True))
    # A limit set before ceilings existed stays allowed: its account's ceiling starts at it.
    op.execute("UPDATE official_accounts SET additional_limit_ceiling = additional_message_limit "
               "WHERE additional_message_limit > additional_limit_ceiling")


def downgrade() -> None:
    # A downgrade scheduled for a month that has not begun is dropped with its columns: the account
    # stays on its current package (the audit of it goes too).
    # Never recreate official_accounts on SQLite: dropping the old copy would cascade-delete every
    # row that references an account. Its own DROP COLUMN does, for columns nothing indexes.
    with op.batch_alter_table('official_accounts', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('next_package_from')
        batch_op.drop_column('next_package')
        batch_op.drop_column('additional_limit_ceiling')

    # Back to one row a month: the days' use is summed onto the 1st before the others go.
    op.execute("UPDATE message_usage SET used = (SELECT SUM(u.used) FROM message_usage u "
               "WHERE u.account_id = message_usage.account_id AND u.year = message_usage.year "
               "AND u.month = message_usage.month) WHERE day = 1")
    op.execute("INSERT INTO message_usage (account_id, year, month, day, used) "
               "SELECT account_id, year, month, 1, SUM(used) FROM message_usage m GROUP BY account_id, year, month "
               "HAVING MIN(day) > 1")
    op.execute("DELETE FROM message_usage WHERE day <> 1")
    with op.batch_alter_table('message_usage', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_message_usage_account_id_year_month_day'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_usage_account_id_year_month'), ['account_id', 'year', 'month'])
        batch_op.drop_column('day')

    with op.batch_alter_table('billing_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_changes_account_id')

    op.drop_table('billing_changes')
