"""lists: (updated_at, id) indexes for the default order, trigram index for the name search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:48:50.799977

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ('plugin_data', 'plugin_meta', 'plugin_prompt', 'plugin_selector', 'user_account')


def upgrade():
    for table in TABLES:
        op.drop_index(f'ix_{table}_updated_at', table_name=table)
        op.create_index(f'ix_{table}_updated_at_id', table, ['updated_at', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_plugin_meta_name_trgm', 'plugin_meta', ['name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})


def downgrade():
    op.drop_index('ix_plugin_meta_name_trgm', table_name='plugin_meta')
    for table in TABLES:
        op.drop_index(f'ix_{table}_updated_at_id', table_name=table)
        op.create_index(f'ix_{table}_updated_at', table, ['updated_at'], unique=False)
