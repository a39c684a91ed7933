"""Initial schema: rounds, positions, candidates, people, users, every stage's data, audit.

Enums are stored by value in plain VARCHAR(40) columns (no database enum type, no CHECK):
the models validate them, so a new status needs no migration. On PostgreSQL a trigger
makes the audit trail append-only.

Revision ID: c075742ba538
Revises:
Create Date: 2026-11-21 08:08:25.383460

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c075742ba538'
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = '0' * 64

# PostgreSQL: nobody, the app's own role included, may rewrite or remove audit events.
AUDIT_APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
"""

DROP_AUDIT_APPEND_ONLY = """
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_append_only ON audit_events;
DROP FUNCTION audit_events_append_only();
"""


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('after', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_events_prev_hash'))
    )
    op.create_index(op.f('ix_audit_events_round_id'), 'audit_events', ['round_id'], unique=False)

    audit_heads = op.create_table('audit_heads',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_heads'))
    )
    # the one head row that every append locks and moves (selection/audit.py)
    op.bulk_insert(audit_heads, [{'id': 1, 'count': 0, 'hash': GENESIS_HASH}])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(AUDIT_APPEND_ONLY)

    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('id_number_cipher', sa.LargeBinary(), nullable=False),
    sa.Column('id_number_index', sa.String(length=64), nullable=False),
    sa.Column('phone_cipher', sa.LargeBinary(), nullable=True),
    sa.Column('phone_index', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_persons_id_number_index')),
    sa.UniqueConstraint('uid', name=op.f('uq_persons_uid'))
    )
    op.create_index(op.f('ix_persons_phone_index'), 'persons', ['phone_index'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('cutoff_date', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('registration_opens', sa.Date(), nullable=True),
    sa.Column('registration_closes', sa.Date(), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    sa.UniqueConstraint('code', name=op.f('uq_rounds_code'))
    )
    op.create_table('committee_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_committee_votes_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_votes'))
    )
    op.create_index(op.f('ix_committee_votes_round_id'), 'committee_votes', ['round_id'], unique=False)

    op.create_table('holiday_additions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_holiday_additions_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_additions')),
    sa.UniqueConstraint('round_id', 'day', name=op.f('uq_holiday_additions_round_id_day'))
    )
    op.create_index('uq_holiday_additions_system_day', 'holiday_additions', ['day'], unique=True, sqlite_where=sa.text('round_id IS NULL'), postgresql_where=sa.text('round_id IS NULL'))

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_notices_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index(op.f('ix_notices_round_id'), 'notices', ['round_id'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('posts', sa.Integer(), nullable=False),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('min_education', sa.String(length=40), nullable=True),
    sa.Column('min_years_in_rank', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_positions_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions')),
    sa.UniqueConstraint('round_id', 'code', name=op.f('uq_positions_round_id_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_users_person_id_persons'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index(op.f('ix_users_person_id'), 'users', ['person_id'], unique=False)

    op.create_table('candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sex', sa.String(length=40), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('education', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('current_post', sa.String(length=200), nullable=False),
    sa.Column('current_post_since', sa.Date(), nullable=False),
    sa.Column('rank', sa.String(length=100), nullable=False),
    sa.Column('rank_since', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_candidates_person_id_persons')),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_candidates_position_id_positions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_candidates_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidates')),
    sa.UniqueConstraint('round_id', 'person_id', name=op.f('uq_candidates_round_id_person_id')),
    sa.UniqueConstraint('round_id', 'ref', name=op.f('uq_candidates_round_id_ref'))
    )
    op.create_index(op.f('ix_candidates_person_id'), 'candidates', ['person_id'], unique=False)
    op.create_index(op.f('ix_candidates_position_id'), 'candidates', ['position_id'], unique=False)

    op.create_table('committee_ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['vote_id'], ['committee_votes.id'], name=op.f('fk_committee_ballots_vote_id_committee_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_ballots')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_committee_ballots_vote_id'), 'committee_ballots', ['vote_id'], unique=False)

    op.create_table('inspection_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('published', sa.Date(), nullable=False),
    sa.Column('period', sa.Text(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('discipline', sa.Text(), nullable=True),
    sa.Column('members', sa.Text(), nullable=True),
    sa.Column('office_address', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_inspection_notices_position_id_positions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_notices')),
    sa.UniqueConstraint('position_id', name=op.f('uq_inspection_notices_position_id'))
    )
    op.create_table('inspection_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_inspection_teams_leader_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_inspection_teams_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_teams'))
    )
    op.create_index(op.f('ix_inspection_teams_round_id'), 'inspection_teams', ['round_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_appointments_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_appointments_candidate_id'))
    )
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('received', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('concluded_on', sa.Date(), nullable=True),
    sa.Column('complainant_cipher', sa.LargeBinary(), nullable=True),
    sa.Column('content_cipher', sa.LargeBinary(), nullable=True),
    sa.Column('receipt_hash', sa.String(length=64), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_complaints_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_complaints_receipt_hash')),
    sa.UniqueConstraint('uid', name=op.f('uq_complaints_uid'))
    )
    op.create_index(op.f('ix_complaints_candidate_id'), 'complaints', ['candidate_id'], unique=False)

    op.create_table('endorsements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_endorsements_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endorsements')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_endorsements_candidate_id'))
    )
    op.create_table('evaluation_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_evaluation_tallies_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_tallies')),
    sa.UniqueConstraint('candidate_id', 'value', name=op.f('uq_evaluation_tallies_candidate_id_value'))
    )
    op.create_table('exam_absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_exam_absences_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_absences')),
    sa.UniqueConstraint('candidate_id', 'exam', name=op.f('uq_exam_absences_candidate_id_exam'))
    )
    op.create_table('inspection_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('conclusion', sa.String(length=40), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_inspection_records_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_records')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_inspection_records_candidate_id'))
    )
    op.create_table('inspection_team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['inspection_teams.id'], name=op.f('fk_inspection_team_members_team_id_inspection_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_inspection_team_members'))
    )
    op.create_table('inspection_team_positions',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_inspection_team_positions_position_id_positions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['inspection_teams.id'], name=op.f('fk_inspection_team_positions_team_id_inspection_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'position_id', name=op.f('pk_inspection_team_positions'))
    )
    op.create_table('interview_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('examiner', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_interview_scores_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_scores')),
    sa.UniqueConstraint('candidate_id', 'examiner', name=op.f('uq_interview_scores_candidate_id_examiner'))
    )
    op.create_table('performance_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_performance_records_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_records')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_performance_records_candidate_id'))
    )
    op.create_table('publicities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_publicities_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publicities')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_publicities_candidate_id'))
    )
    op.create_table('qualification_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_qualification_reviews_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_qualification_reviews_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_reviews')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_qualification_reviews_candidate_id'))
    )
    op.create_table('recommendation_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('yes', sa.Integer(), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('abstain', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_recommendation_tallies_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_tallies')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_recommendation_tallies_candidate_id'))
    )
    op.create_table('written_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('paper', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_written_scores_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_written_scores')),
    sa.UniqueConstraint('candidate_id', 'paper', name=op.f('uq_written_scores_candidate_id_paper'))
    )
    op.create_table('final_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_final_assessments_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_final_assessments')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_final_assessments_appointment_id'))
    )
    op.create_table('performance_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['performance_records.id'], name=op.f('fk_performance_items_record_id_performance_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_items'))
    )
    op.create_index(op.f('ix_performance_items_record_id'), 'performance_items', ['record_id'], unique=False)

    op.create_table('probation_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_probation_reviews_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_probation_reviews'))
    )
    op.create_index(op.f('ix_probation_reviews_appointment_id'), 'probation_reviews', ['appointment_id'], unique=False)


def downgrade() -> None:
    op.drop_table('probation_reviews')
    op.drop_table('performance_items')
    op.drop_table('final_assessments')
    op.drop_table('written_scores')
    op.drop_table('recommendation_tallies')
    op.drop_table('qualification_reviews')
    op.drop_table('publicities')
    op.drop_table('performance_records')
    op.drop_table('interview_scores')
    op.drop_table('inspection_team_positions')
    op.drop_table('inspection_team_members')
    op.drop_table('inspection_records')
    op.drop_table('exam_absences')
    op.drop_table('evaluation_tallies')
    op.drop_table('endorsements')
    op.drop_table('complaints')
    op.drop_table('appointments')
    op.drop_table('inspection_teams')
    op.drop_table('inspection_notices')
    op.drop_table('committee_ballots')
    op.drop_table('candidates')
    op.drop_table('users')
    op.drop_table('positions')
    op.drop_table('notices')
    op.drop_table('holiday_additions')
    op.drop_table('committee_votes')
    op.drop_table('rounds')
    op.drop_table('persons')
    op.drop_table('audit_heads')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(DROP_AUDIT_APPEND_ONLY)
    op.drop_table('audit_events')
