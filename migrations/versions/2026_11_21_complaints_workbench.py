"""The supervision workbench for complaints (issue 6), and messages to people without an account.

Complaints gain a handler (承办人) and the day a named complainant was told the outcome;
investigation notes are stored encrypted; evidence files get a table of their own with no
time and no uploader (SECURITY.md P44, P47). A notification may go to someone without an
account (a named complainant), its address encrypted.

Revision ID: c0a1b2c3d406
Revises: 7ed845356cfd
Create Date: 2026-11-21 13:16:40.236414

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0a1b2c3d406'
down_revision = '7ed845356cfd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_evidence_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_evidence')),
    sa.UniqueConstraint('name', name=op.f('uq_complaint_evidence_name'))
    )
    with op.batch_alter_table('complaint_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_evidence_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body_cipher', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_complaint_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_notes_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_notes')),
    sa.UniqueConstraint('uid', name=op.f('uq_complaint_notes_uid'))
    )
    with op.batch_alter_table('complaint_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_notes_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handler_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('complainant_told_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_complaints_handler_id_users'), 'users', ['handler_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_cipher', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade():
    # messages to people without an account cannot survive without their column
    op.execute("DELETE FROM notifications WHERE user_id IS NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('recipient_cipher')

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_handler_id_users'), type_='foreignkey')
        batch_op.drop_column('complainant_told_on')
        batch_op.drop_column('handler_id')

    with op.batch_alter_table('complaint_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_notes_complaint_id'))

    op.drop_table('complaint_notes')
    with op.batch_alter_table('complaint_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_evidence_complaint_id'))

    op.drop_table('complaint_evidence')
