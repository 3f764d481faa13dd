"""plugin domain: plugins, selectors, prompts, data, users

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:35:45.699912

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plugin_meta",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("plugin_class", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_meta")),
        sa.UniqueConstraint("name", name=op.f("uq_plugin_meta_name")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("plugin_meta", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugin_meta_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_meta_plugin_class"), ["plugin_class"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_meta_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_account_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "plugin_data",
        sa.Column("plugin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("static_data", sa.JSON(), nullable=True),
        sa.Column("connection", sa.String(length=255), nullable=True),
        sa.Column("sql_query", sa.Text(), nullable=True),
        sa.Column("endpoint", sa.String(length=2048), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("url_params", sa.JSON(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("test_values", sa.JSON(), nullable=True),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plugin_id"], ["plugin_meta.id"], name=op.f("fk_plugin_data_plugin_id_plugin_meta"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_data")),
        sa.UniqueConstraint("plugin_id", name=op.f("uq_plugin_data_plugin_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("plugin_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugin_data_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_data_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "plugin_prompt",
        sa.Column("plugin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("system_role", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("max_completion_tokens", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plugin_id"], ["plugin_meta.id"], name=op.f("fk_plugin_prompt_plugin_id_plugin_meta"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_prompt")),
        sa.UniqueConstraint("plugin_id", name=op.f("uq_plugin_prompt_plugin_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("plugin_prompt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugin_prompt_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_plugin_prompt_max_completion_tokens"), ["max_completion_tokens"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plugin_prompt_model"), ["model"], unique=False)
        batch_op.create_index("ix_plugin_prompt_provider_model", ["provider", "model"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_prompt_temperature"), ["temperature"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_prompt_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "plugin_selector",
        sa.Column("plugin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("directive", sa.String(length=32), nullable=False),
        sa.Column("search_terms", sa.JSON(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plugin_id"], ["plugin_meta.id"], name=op.f("fk_plugin_selector_plugin_id_plugin_meta"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_selector")),
        sa.UniqueConstraint("plugin_id", name=op.f("uq_plugin_selector_plugin_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("plugin_selector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugin_selector_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_selector_directive"), ["directive"], unique=False)
        batch_op.create_index(batch_op.f("ix_plugin_selector_updated_at"), ["updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("plugin_selector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugin_selector_updated_at"))
        batch_op.drop_index(batch_op.f("ix_plugin_selector_directive"))
        batch_op.drop_index(batch_op.f("ix_plugin_selector_created_at"))

    op.drop_table("plugin_selector")
    with op.batch_alter_table("plugin_prompt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugin_prompt_updated_at"))
        batch_op.drop_index(batch_op.f("ix_plugin_prompt_temperature"))
        batch_op.drop_index("ix_plugin_prompt_provider_model")
        batch_op.drop_index(batch_op.f("ix_plugin_prompt_model"))
        batch_op.drop_index(batch_op.f("ix_plugin_prompt_max_completion_tokens"))
        batch_op.drop_index(batch_op.f("ix_plugin_prompt_created_at"))

    op.drop_table("plugin_prompt")
    with op.batch_alter_table("plugin_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugin_data_updated_at"))
        batch_op.drop_index(batch_op.f("ix_plugin_data_created_at"))

    op.drop_table("plugin_data")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_updated_at"))
        batch_op.drop_index(batch_op.f("ix_user_account_created_at"))

    op.drop_table("user_account")
    with op.batch_alter_table("plugin_meta", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugin_meta_updated_at"))
        batch_op.drop_index(batch_op.f("ix_plugin_meta_plugin_class"))
        batch_op.drop_index(batch_op.f("ix_plugin_meta_created_at"))

    op.drop_table("plugin_meta")
