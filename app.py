"""Entry point for ``flask --app app`` and ``gunicorn app:app``."""

from plugin_admin import create_app

app = create_app()
