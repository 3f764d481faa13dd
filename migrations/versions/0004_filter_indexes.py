"""lists: an index of (column, updated_at, id) per column the lists filter on by value

A filtered page is then read in the default order off the index, instead of every
match being sorted. They replace the single-column indexes of those columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FILTERED = {
    "plugin_meta": ("plugin_class", "version", "author"),
    "plugin_selector": ("directive",),
    "plugin_prompt": ("provider", "model"),
    "plugin_data": ("connection", "method"),
}
REPLACED = (("plugin_meta", "plugin_class"), ("plugin_selector", "directive"), ("plugin_prompt", "model"))


def upgrade():
    for table, column in REPLACED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    for table, columns in FILTERED.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}_updated_at_id", table, [column, "updated_at", "id"], unique=False)


def downgrade():
    for table, columns in FILTERED.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}_updated_at_id", table_name=table)
    for table, column in REPLACED:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)
