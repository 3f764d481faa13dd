"""The navbar's jump box: a plugin name, a record locator or a hashed id goes straight to its record.

Exactly one match redirects to the record's details page; several show a short list (a
hashed id names a row of each table; a partial plugin name goes to the plugin list's
search); none says so and keeps what was typed. Only records the person may read are found.
"""

import sqlalchemy as sa
from flask import redirect, request, url_for
from flask_admin import expose

from .. import hashing
from ..auth import has_role
from ..extensions import db
from ..models import PluginMeta, TimestampedModel
from ..validation import normalise_name
from .roles import RoleGate

QUERY_MAX = 255


class JumpView(RoleGate):
    """Not in the menu: the navbar's search form posts here (GET, so the result is a link too)."""

    def is_visible(self):
        return False

    def readable_views(self):
        """The model views the current person may read, by model."""
        return {
            view.model: view
            for view in self.admin._views
            if getattr(view, "model", None) is not None and has_role(view.read_role)
        }

    def details_url(self, record) -> str:
        return url_for(f"{self.readable_views()[type(record)].endpoint}.details_view", id=record.hashed_id)

    def matches(self, text: str) -> list:
        """Records ``text`` names exactly: by locator, by hashed id (one per table), by plugin name."""
        views = self.readable_views()
        record = TimestampedModel.get_object_by_locator(text)
        if record is not None:
            return [record] if type(record) in views else []
        pk = hashing.id_from_hashed_id(text)
        if pk is not None:
            return [found for model in views if (found := db.session.get(model, pk)) is not None]
        if PluginMeta not in views:
            return []
        named = db.session.scalar(sa.select(PluginMeta).where(PluginMeta.name == normalise_name(text)))
        return [named] if named is not None else []

    @expose("/")
    def index(self):
        text = request.args.get("q", "").strip()[:QUERY_MAX]
        if not text:
            return self.render("admin/jump.html", text=text, found=[], views=self.readable_views())
        found = self.matches(text)
        if len(found) == 1:
            return redirect(self.details_url(found[0]))
        if not found and PluginMeta in self.readable_views() and self.names_like(text):
            return redirect(url_for("pluginmeta.index_view", search=text))
        return self.render("admin/jump.html", text=text, found=found, views=self.readable_views())

    @staticmethod
    def names_like(text: str) -> bool:
        """Whether some plugin name contains ``text`` as a name (what the plugin list's search finds)."""
        name = normalise_name(text)
        if not name:
            return False
        found = sa.select(PluginMeta.id).where(PluginMeta.name.contains(name, autoescape=True)).limit(1)
        return db.session.scalar(found) is not None
