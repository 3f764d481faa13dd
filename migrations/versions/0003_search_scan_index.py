"""lists: on SQLite, the plugin search scans an index of the default order holding the searched columns

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 02:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEARCHED = ("name", "description", "author")


def upgrade():
    # Empty on PostgreSQL, where the trigram indexes of 0002 serve the search.
    op.create_index(
        "ix_plugin_meta_search_scan",
        "plugin_meta",
        ["updated_at", "id", *SEARCHED],
        unique=False,
        postgresql_where=sa.text("false"),
    )


def downgrade():
    op.drop_index("ix_plugin_meta_search_scan", table_name="plugin_meta")
