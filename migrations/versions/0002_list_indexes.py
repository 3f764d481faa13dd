"""lists: (updated_at, id) indexes for the default order, trigram indexes for the plugin search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:48:50.799977

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("plugin_data", "plugin_meta", "plugin_prompt", "plugin_selector", "user_account")
SEARCHED = ("name", "description", "author")


def upgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_updated_at", table_name=table)
        op.create_index(f"ix_{table}_updated_at_id", table, ["updated_at", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        op.create_index(
            f"ix_plugin_meta_{column}_trgm",
            "plugin_meta",
            [column],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )


def downgrade():
    for column in SEARCHED:
        op.drop_index(f"ix_plugin_meta_{column}_trgm", table_name="plugin_meta")
    for table in TABLES:
        op.drop_index(f"ix_{table}_updated_at_id", table_name=table)
        op.create_index(f"ix_{table}_updated_at", table, ["updated_at"], unique=False)
