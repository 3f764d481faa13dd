"""sessions end on the server; the cache epoch

``user_account.session_token`` is part of every session's user id: logout, a password,
role or active change replace it, which ends the sessions that hold the old one.
``cache_epoch`` holds one number, moved on when a cache invalidation could not be
delivered; every cache key carries it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cache_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_epoch")),
    )
    op.execute("INSERT INTO cache_epoch (id, value) VALUES (1, 0)")
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    users = sa.table("user_account", sa.column("id", sa.BigInteger), sa.column("session_token", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_token")
    op.drop_table("cache_epoch")
