"""Pre-generated admission tickets (issue 8): each ticket's PDF rendered ahead of its release.

Release morning serves the stored bytes instead of rendering every candidate's PDF at
once (exams/tickets.py, `flask tickets pregenerate`). One row per ticket and language;
deleted with its ticket, so re-seating removes them.

Revision ID: e2f3a4b5c6d7
Revises: d1e2f3a4b5c6
Create Date: 2026-11-21 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2f3a4b5c6d7'
down_revision = 'd1e2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['admission_tickets.id'], name=op.f('fk_ticket_files_ticket_id_admission_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_files')),
    sa.UniqueConstraint('ticket_id', 'locale', name=op.f('uq_ticket_files_ticket_id_locale'))
    )


def downgrade():
    op.drop_table('ticket_files')
