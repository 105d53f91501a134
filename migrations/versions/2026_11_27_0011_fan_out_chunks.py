"""fan-out in chunks workers share: send_chunks, sends.chunks_left instead of one cursor, deliveries without foreign keys, an index of the people who left

Revision ID: 0011_fan_out_chunks
Revises: 0010_billing
Create Date: 2026-11-27 08:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openoa.core.db

revision: str = '0011_fan_out_chunks'
down_revision: str | None = '0010_billing'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_sends = sa.table('sends', sa.column('id', sa.Integer), sa.column('status', sa.String),
                  sa.column('cursor', sa.Integer), sa.column('upper_user_id', sa.Integer),
                  sa.column('chunks_left', sa.Integer), sa.column('accepted_at', openoa.core.db.UTCDateTime()))
_chunks = sa.table('send_chunks', sa.column('id', sa.Integer), sa.column('send_id', sa.Integer),
                   sa.column('after_user_id', sa.Integer), sa.column('upto_user_id', sa.Integer),
                   sa.column('done', sa.Boolean))
_jobs = sa.table('jobs', sa.column('name', sa.String), sa.column('payload', sa.JSON), sa.column('state', sa.String),
                 sa.column('run_at', openoa.core.db.UTCDateTime()), sa.column('attempts', sa.Integer),
                 sa.column('max_attempts', sa.Integer), sa.column('created_at', openoa.core.db.UTCDateTime()))


def upgrade() -> None:
    op.create_table('send_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('after_user_id', sa.Integer(), nullable=False),
    sa.Column('upto_user_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['send_id'], ['sends.id'], name=op.f('fk_send_chunks_send_id_sends'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_chunks')),
    sa.UniqueConstraint('send_id', 'after_user_id', name=op.f('uq_send_chunks_send_id_after_user_id'))
    )
    with op.batch_alter_table('sends', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('chunks_left', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.create_index('ix_users_inactive', ['id'], unique=False,
                              sqlite_where=sa.text('active IS 0'), postgresql_where=sa.text('active IS false'))

    # A send caught mid-fan-out by the upgrade goes on as one chunk from its old checkpoint.
    # Its job is due since the send was accepted (a time in the past whatever the clock says).
    bind = op.get_bind()
    for send_id, cursor, upper, accepted in bind.execute(
            sa.select(_sends.c.id, _sends.c.cursor, _sends.c.upper_user_id, _sends.c.accepted_at)
            .where(_sends.c.status == 'sending')).all():
        bind.execute(_chunks.insert().values(send_id=send_id, after_user_id=cursor, upto_user_id=upper, done=False))
        chunk_id = bind.execute(sa.select(_chunks.c.id).where(_chunks.c.send_id == send_id)).scalar_one()
        bind.execute(_sends.update().where(_sends.c.id == send_id).values(chunks_left=1))
        bind.execute(_jobs.insert().values(name='messaging.fan_out_chunk', payload={'chunk_id': chunk_id},
                                           state='queued', run_at=accepted, attempts=0, max_attempts=10,
                                           created_at=accepted))

    # SQLite cannot drop a column that way and keep it cheap for the big table; sends is small.
    with op.batch_alter_table('sends', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('cursor')
    # deliveries has no children, so rebuilding it on SQLite cascades nowhere.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliveries_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_deliveries_send_id_sends'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_deliveries_account_id_official_accounts'), type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_account_id_official_accounts'), 'official_accounts',
                                    ['account_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_send_id_sends'), 'sends', ['send_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_user_id_users'), 'users', ['user_id'], ['id'],
                                    ondelete='CASCADE')
    # From a checkpoint of 0 the old fan-out skips the people a chunk already reached.
    with op.batch_alter_table('sends', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('cursor', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('chunks_left')
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_users_inactive')
    op.drop_table('send_chunks')
