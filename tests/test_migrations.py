"""Migrations build exactly the schema the models describe, on this pass's backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from plugin_admin.extensions import db


def test_migrated_schema_matches_the_models(app_context):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []
