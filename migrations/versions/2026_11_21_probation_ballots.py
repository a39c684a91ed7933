"""Probation ballots (issue 6): a tracking review may record the new unit's online ballot.

A probation review gains the ballot box whose count it records, the number of valid
ballots and their trimmed mean (RULES.md §6, counted apart from the round's scores).
Ballot boxes gain the kind ``probation``; the kind is a plain VARCHAR(40) without a CHECK
constraint, so that needs no DDL.

Revision ID: d1e2f3a4b5c6
Revises: c0a1b2c3d406
Create Date: 2026-11-21 13:23:08.773911

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b5c6'
down_revision = 'c0a1b2c3d406'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('probation_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_box_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ballots', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ballot_score', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_probation_reviews_ballot_box_id'), ['ballot_box_id'])
        batch_op.create_foreign_key(batch_op.f('fk_probation_reviews_ballot_box_id_ballot_boxes'), 'ballot_boxes', ['ballot_box_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('probation_reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_probation_reviews_ballot_box_id_ballot_boxes'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_probation_reviews_ballot_box_id'), type_='unique')
        batch_op.drop_column('ballot_score')
        batch_op.drop_column('ballots')
        batch_op.drop_column('ballot_box_id')
