"""The operator dashboard at ``/admin/`` (a placeholder; its owner fills it in)."""

from flask_admin import AdminIndexView, expose

from .auth import check_role


class DashboardView(AdminIndexView):
    def _handle_view(self, name, **kwargs):
        check_role("viewer")
        return super()._handle_view(name, **kwargs)

    @expose("/")
    def index(self):
        return self.render("admin/dashboard.html")
