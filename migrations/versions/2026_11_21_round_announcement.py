"""A round keeps the text of its call for applications (报名公告).

Publishing a round from the browser sets `published_at` and stores the announcement on
the round itself (docs/decisions.md: selection does not reach up into publicity's notices).

Revision ID: 7a1e4c2b9d60
Revises: 5d2f0c8a9e31
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '7a1e4c2b9d60'
down_revision = '5d2f0c8a9e31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcement', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('announcement')
