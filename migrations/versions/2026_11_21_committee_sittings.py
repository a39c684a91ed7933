"""Committee sittings name the positions they vote on.

A round's positions may reach the committee vote (差额票决) at different times, and a tie
is revoted at a later sitting; `positions` lists what a sitting decides (NULL: every
position with an undecided vote list, the round record's single `committee`).

Revision ID: 5d2f0c8a9e31
Revises: c075742ba538
Create Date: 2026-11-21 08:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5d2f0c8a9e31'
down_revision = 'c075742ba538'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('committee_votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('positions', sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    with op.batch_alter_table('committee_votes', schema=None) as batch_op:
        batch_op.drop_column('positions')
