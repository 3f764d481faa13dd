"""revisions: SQLAlchemy-Continuum's transaction and version tables; every existing record's first revision

Each record gains ``revision`` (its latest revision number) and ``changed_by`` (who wrote
it). Every existing record gets revision 1 (action ``create``, actor ``migration``), so
every record has a history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:10:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = {
    "plugin_meta": lambda: [
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("plugin_class", sa.String(length=16), nullable=True),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("annotations", sa.JSON(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
    ],
    "plugin_selector": lambda: [
        sa.Column("plugin_id", sa.BigInteger(), nullable=True),
        sa.Column("directive", sa.String(length=32), nullable=True),
        sa.Column("search_terms", sa.JSON(), nullable=True),
    ],
    "plugin_prompt": lambda: [
        sa.Column("plugin_id", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("system_role", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("max_completion_tokens", sa.Integer(), nullable=True),
    ],
    "plugin_data": lambda: [
        sa.Column("plugin_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
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
    ],
    "user_account": lambda: [
        sa.Column("username", sa.String(length=80), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
    ],
}
"""Each versioned table's own columns as its version table holds them (user accounts: no password, no updated_at)."""


def upgrade():
    op.create_table(
        "transaction",
        sa.Column("id", sa.BigInteger(), sa.Sequence("transaction_id_seq"), nullable=False),
        sa.Column("remote_addr", sa.String(length=50), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("transaction_id_seq")))
    op.create_index("ix_transaction_actor_id", "transaction", ["actor", "id"])
    op.create_index("ix_transaction_issued_at", "transaction", ["issued_at"])

    for table, columns in TABLES.items():
        op.add_column(table, sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False))
        op.add_column(table, sa.Column("changed_by", sa.String(length=120), nullable=True))
        versioned = [c.name for c in columns()]
        extra = [] if table == "user_account" else [sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True)]
        op.create_table(
            f"{table}_version",
            *columns(),
            sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
            *extra,
            sa.Column("revision", sa.Integer(), nullable=True),
            sa.Column("transaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("operation_type", sa.SmallInteger(), nullable=False),
            sa.Column("action", sa.String(length=8), nullable=False),
            sa.Column("changed", sa.JSON(), nullable=True),
            sa.PrimaryKeyConstraint("id", "transaction_id", name=op.f(f"pk_{table}_version")),
        )
        op.create_index(f"ix_{table}_version_id_revision", f"{table}_version", ["id", "revision"], unique=True)
        op.create_index(
            f"ix_{table}_version_action_transaction_id_id", f"{table}_version", ["action", "transaction_id", "id"]
        )
        op.create_index(f"ix_{table}_version_transaction_id_id", f"{table}_version", ["transaction_id", "id"])
        _first_revisions(table, [*versioned, "id", "created_at", *(c.name for c in extra)])


def _first_revisions(table: str, columns: list[str]) -> None:
    """Revision 1 (``create`` by ``migration``) of every row ``table`` holds now, in one statement."""
    bind = op.get_bind()
    if bind.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 0:
        return
    tx = sa.table("transaction", sa.column("id"), sa.column("issued_at"), sa.column("actor"), sa.column("note"))
    ids = {"id": sa.func.nextval("transaction_id_seq")} if bind.dialect.name == "postgresql" else {}
    tx_id = bind.execute(
        tx.insert()
        .values(
            **ids,
            issued_at=datetime.now(UTC).replace(tzinfo=None),
            actor="migration",
            note="first revision of a record that existed before revisions",
        )
        .returning(tx.c.id)
    ).scalar_one()
    quoted = ", ".join(f'"{c}"' for c in columns)
    bind.execute(
        sa.text(
            f"INSERT INTO {table}_version ({quoted}, revision, transaction_id, operation_type, action) "
            f"SELECT {quoted}, 1, :tx, 0, 'create' FROM {table}"
        ),
        {"tx": tx_id},
    )
    bind.execute(sa.text(f"UPDATE {table} SET changed_by = 'migration'"))


def downgrade():
    for table in TABLES:
        op.drop_table(f"{table}_version")
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("changed_by")
            batch_op.drop_column("revision")
    op.drop_table("transaction")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("transaction_id_seq")))
