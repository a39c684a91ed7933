"""Candidates and exam logistics (issue 4): every table and column it needs, in one step.

Uploaded files kept in the database (hosts stay stateless), venues, rooms, seatings with
their seed, admission tickets, score publication times and review requests, the
notification outbox (user ids, never numbers), the endorsement letter and a user's email.

Revision ID: 81a222b9a363
Revises: 7a1e4c2b9d60
Create Date: 2026-11-21 10:20:34

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '81a222b9a363'
down_revision = '7a1e4c2b9d60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('score_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.Enum('written', 'interview', name='examkind', native_enum=False, length=40), nullable=False),
    sa.Column('publish_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_until', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_score_publications_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_publications')),
    sa.UniqueConstraint('round_id', 'exam', name=op.f('uq_score_publications_round_id_exam'))
    )
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_venues_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('round_id', 'name', name=op.f('uq_venues_round_id_name'))
    )
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venues_round_id'), ['round_id'], unique=False)

    op.create_table('exam_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_exam_rooms_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_rooms')),
    sa.UniqueConstraint('venue_id', 'name', name=op.f('uq_exam_rooms_venue_id_name'))
    )
    with op.batch_alter_table('exam_rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_rooms_venue_id'), ['venue_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('email', 'sms', name='channel', native_enum=False, length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='deliverystatus', native_enum=False, length=40), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('backend', sa.String(length=40), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_notifications_round_id_rounds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('seatings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.Enum('written', 'interview', name='examkind', native_enum=False, length=40), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('ticket_prefix', sa.String(length=12), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_seatings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_seatings_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seatings')),
    sa.UniqueConstraint('round_id', 'exam', name=op.f('uq_seatings_round_id_exam'))
    )
    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_stored_files_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('name', name=op.f('uq_stored_files_name'))
    )
    op.create_table('admission_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seating_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_admission_tickets_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['exam_rooms.id'], name=op.f('fk_admission_tickets_room_id_exam_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seating_id'], ['seatings.id'], name=op.f('fk_admission_tickets_seating_id_seatings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_admission_tickets_number')),
    sa.UniqueConstraint('room_id', 'seat', name=op.f('uq_admission_tickets_room_id_seat')),
    sa.UniqueConstraint('seating_id', 'candidate_id', name=op.f('uq_admission_tickets_seating_id_candidate_id'))
    )
    with op.batch_alter_table('admission_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_tickets_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admission_tickets_room_id'), ['room_id'], unique=False)

    op.create_table('score_review_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.Enum('written', 'interview', name='examkind', native_enum=False, length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'answered', name='reviewrequeststatus', native_enum=False, length=40), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score_before', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('score_after', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_score_review_requests_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_score_review_requests_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_review_requests')),
    sa.UniqueConstraint('candidate_id', 'exam', name=op.f('uq_score_review_requests_candidate_id_exam'))
    )
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_endorsements_letter_id_stored_files'), 'stored_files', ['letter_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_endorsements_letter_id_stored_files'), type_='foreignkey')
        batch_op.drop_column('letter_id')

    op.drop_table('score_review_requests')
    with op.batch_alter_table('admission_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admission_tickets_room_id'))
        batch_op.drop_index(batch_op.f('ix_admission_tickets_candidate_id'))

    op.drop_table('admission_tickets')
    op.drop_table('stored_files')
    op.drop_table('seatings')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index('ix_notifications_due')

    op.drop_table('notifications')
    with op.batch_alter_table('exam_rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_rooms_venue_id'))

    op.drop_table('exam_rooms')
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venues_round_id'))

    op.drop_table('venues')
    op.drop_table('score_publications')
