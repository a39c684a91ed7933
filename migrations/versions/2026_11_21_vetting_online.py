"""Inspection teams, secret ballots and the committee online (issue 5), in one step.

Conflict declarations (回避), the team's draft records and the leader's submission that
locks them; unit ballot boxes with their hashed one-time tokens, sealed ballots and
receipts (random keys, WITHOUT ROWID on SQLite); the roll of an online committee sitting.

Revision ID: 7ed845356cfd
Revises: 81a222b9a363
Create Date: 2026-11-21 11:51:10

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7ed845356cfd'
down_revision = '81a222b9a363'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ballot_boxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('recommendation', 'evaluation', name='ballotkind', native_enum=False, length=40), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tokens_issued', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('closing_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_ballot_boxes_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_boxes'))
    )
    with op.batch_alter_table('ballot_boxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_boxes_round_id'), ['round_id'], unique=False)

    op.create_table('ballot_receipts',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['ballot_boxes.id'], name=op.f('fk_ballot_receipts_box_id_ballot_boxes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_ballot_receipts')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballot_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_receipts_box_id'), ['box_id'], unique=False)

    op.create_table('ballot_tokens',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['ballot_boxes.id'], name=op.f('fk_ballot_tokens_box_id_ballot_boxes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_ballot_tokens'))
    )
    with op.batch_alter_table('ballot_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_tokens_box_id'), ['box_id'], unique=False)

    op.create_table('committee_attendance',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('voted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_committee_attendance_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['committee_votes.id'], name=op.f('fk_committee_attendance_vote_id_committee_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'user_id', name=op.f('pk_committee_attendance'))
    )
    op.create_table('unit_ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['ballot_boxes.id'], name=op.f('fk_unit_ballots_box_id_ballot_boxes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_ballots')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('unit_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_ballots_box_id'), ['box_id'], unique=False)

    op.create_table('ballot_box_candidates',
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['ballot_boxes.id'], name=op.f('fk_ballot_box_candidates_box_id_ballot_boxes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_ballot_box_candidates_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('box_id', 'candidate_id', name=op.f('pk_ballot_box_candidates'))
    )
    op.create_table('inspection_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('same_unit', 'kinship', 'other', name='conflictreason', native_enum=False, length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_inspection_conflicts_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_conflicts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_conflicts')),
    sa.UniqueConstraint('user_id', 'candidate_id', name=op.f('uq_inspection_conflicts_user_id_candidate_id'))
    )
    with op.batch_alter_table('inspection_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_conflicts_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_conflicts_user_id'), ['user_id'], unique=False)

    op.create_table('inspection_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_inspection_drafts_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_inspection_drafts_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_drafts')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_inspection_drafts_candidate_id'))
    )
    op.create_table('inspection_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_inspection_submissions_position_id_positions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_inspection_submissions_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['inspection_teams.id'], name=op.f('fk_inspection_submissions_team_id_inspection_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_submissions')),
    sa.UniqueConstraint('position_id', name=op.f('uq_inspection_submissions_position_id'))
    )
    with op.batch_alter_table('committee_votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('committee_votes', schema=None) as batch_op:
        batch_op.drop_column('online')

    op.drop_table('inspection_submissions')
    op.drop_table('inspection_drafts')
    with op.batch_alter_table('inspection_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_conflicts_user_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_conflicts_candidate_id'))

    op.drop_table('inspection_conflicts')
    op.drop_table('ballot_box_candidates')
    with op.batch_alter_table('unit_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_ballots_box_id'))

    op.drop_table('unit_ballots')
    op.drop_table('committee_attendance')
    with op.batch_alter_table('ballot_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_tokens_box_id'))

    op.drop_table('ballot_tokens')
    with op.batch_alter_table('ballot_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_receipts_box_id'))

    op.drop_table('ballot_receipts')
    with op.batch_alter_table('ballot_boxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_boxes_round_id'))

    op.drop_table('ballot_boxes')
