"""The one role gate of every admin view: model views, the manifest pages, the dashboard."""

from flask import abort
from flask_admin import BaseView

from ..auth import check_role, has_role


class RoleGate(BaseView):
    """A view readable from ``read_role`` up: hidden from the menu of everyone below it, and
    every request to it refused with 403 unless the user holds the role ``view_role`` names."""

    read_role = "viewer"

    def view_role(self, name: str) -> str:
        """The role the view method ``name`` needs: ``read_role`` unless a view says otherwise."""
        return self.read_role

    def is_accessible(self):
        return has_role(self.read_role)

    def inaccessible_callback(self, name, **kwargs):
        abort(403)

    def _handle_view(self, name, **kwargs):
        check_role(self.view_role(name))
        return super()._handle_view(name, **kwargs)
