"""The web admin: Flask-Admin views, forms, lists, the manifest pages and the dashboard."""

from .views import init_admin

__all__ = ["init_admin"]
