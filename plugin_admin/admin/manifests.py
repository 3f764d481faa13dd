"""Manifests in the admin: the import page (upload or paste, preview, confirm) and export downloads.

Import writes only on confirm. The confirm form carries the previewed text and a digest of
the text and of what the preview showed; confirm plans the text again (a plan holds one
request's records) and applies it only if the plan still has that digest. When someone
changed a plugin in between, the new plan is shown instead, and nothing is written.
"""

import hashlib
import io
import json

import sqlalchemy as sa
from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, TextAreaField

from .. import manifests
from ..auth import has_role
from ..extensions import db
from ..models import PluginMeta
from ..security import error_page
from ..validation import show
from .roles import RoleGate

PASTED = "pasted text"
"""The source name of a pasted manifest (an upload keeps its file name)."""
SOURCE_MAX = 255
CONTENT_TYPES = {"yaml": "text/yaml; charset=utf-8", "json": "application/json; charset=utf-8"}
BULK_FILENAME = "plugin-manifests.yaml"
EXPORT_ACTION = "export_manifests"
BADGES = {
    manifests.CREATE: "success",
    manifests.UPDATE: "warning",
    manifests.UNCHANGED: "secondary",
    manifests.INVALID: "danger",
}


def manifest_response(text: str, filename: str, fmt: str):
    """A manifest as a file download."""
    return send_file(
        io.BytesIO(text.encode("utf-8")), mimetype=CONTENT_TYPES[fmt], as_attachment=True, download_name=filename
    )


class ManifestExports(ModelView):
    """For the plugin view (a mixin of model views): one plugin's manifest as a download, and a bulk
    action for the selection.

    Exporting is reading: viewers may do both.
    """

    def action_role(self, name: str) -> str:
        return self.read_role if name == EXPORT_ACTION else super().action_role(name)

    @expose("/manifest/")
    def manifest_view(self):
        plugin = self.get_one(get_mdict_item_or_list(request.args, "id"))  # as the details page reads it
        fmt = request.args.get("format", "yaml")
        if plugin is None or fmt not in manifests.FORMATS:
            abort(404)
        return manifest_response(manifests.export_plugin(plugin, fmt), manifests.manifest_filename(plugin, fmt), fmt)

    @action(EXPORT_ACTION, "Export manifests")
    def action_export_manifests(self, ids):
        """One multi-document YAML file of the selected plugins, by name; ids that do not decode are ignored."""
        query = sa.select(PluginMeta).where(PluginMeta.id.in_(self.decode_ids(ids))).order_by(PluginMeta.name)
        plugins = db.session.scalars(query).all()
        if not plugins:
            flash("None of the selected plugins exists any more; nothing was exported.", "error")
            return None  # back to the list
        return manifest_response(manifests.export_many(plugins), BULK_FILENAME, "yaml")


class ImportForm(FlaskForm):
    manifest_file = FileField("Upload a manifest file (.yaml, .yml or .json)")
    text = TextAreaField("or paste one or more manifests (YAML, several separated by ---, or JSON)")


class ConfirmForm(FlaskForm):
    text = TextAreaField()
    source = HiddenField()
    digest = HiddenField()


def normalized(text: str | None) -> str:
    """A form's text with the line breaks it had before the browser sent them (CR LF becomes LF)."""
    return (text or "").replace("\r\n", "\n")


def plan_digest(text: str, plan: manifests.ImportPlan) -> str:
    """What a preview showed, in one value: the text, and per document its outcome and every change."""
    shown = [
        [
            d.document.number,
            d.action,
            d.kind,
            d.name,
            [[c.path, c.before, c.after] for c in d.changes],
            [str(p) for p in (*d.errors, *d.warnings)],
        ]
        for d in plan.documents
    ]
    return hashlib.sha256(json.dumps([text, shown], default=repr).encode("utf-8")).hexdigest()


def read_upload(upload) -> tuple[str | None, list[manifests.ManifestDocument]]:
    """An upload's text and documents; the text is None when the file is too large or not UTF-8."""
    source = upload.filename.replace("\\", "/").rpartition("/")[2][-SOURCE_MAX:] or "upload"
    content = upload.stream.read(manifests.MAX_MANIFEST_BYTES + 1)
    try:
        text = normalized(content.decode("utf-8-sig")) if len(content) <= manifests.MAX_MANIFEST_BYTES else None
    except UnicodeDecodeError:
        text = None
    if text is None:  # load_upload words why
        return None, manifests.load_upload(io.BytesIO(content), source)
    return text, manifests.load_documents(text, source)


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


class ManifestImportView(RoleGate):
    """``/admin/manifests/``: editors (and admins) import; viewers are refused like any write view."""

    read_role = "editor"

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        blueprint.register_error_handler(RequestEntityTooLarge, self.too_large)
        return blueprint

    def too_large(self, error):
        """A request past MAX_CONTENT_LENGTH is refused before the form is read: say so on the page itself."""
        if not has_role(self.read_role):
            return error_page(403)
        limit = request.max_content_length
        most = f"{size_text(limit)}, the most one request may carry" if limit else "what one request may carry"
        flash(
            f"The upload was refused: it was larger than {most}. "
            f"A manifest may be at most {manifests.MAX_MANIFEST_BYTES:,} bytes "
            f"({size_text(manifests.MAX_MANIFEST_BYTES)}); nothing was read or written.",
            "error",
        )
        return self.page(ImportForm(formdata=None)), 413

    def page(self, form, plan=None, confirm=None):
        return self.render(
            "admin/manifest_import.html",
            form=form,
            plan=plan,
            confirm=confirm,
            badges=BADGES,
            show=show,
            max_bytes=manifests.MAX_MANIFEST_BYTES,
        )

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = ImportForm()
        if request.method == "GET":
            return self.page(form)
        upload = form.manifest_file.data
        if upload and upload.filename:
            text, documents = read_upload(upload)
            source = documents[0].source
            if text is not None:
                form.text.data = text  # the page shows it, to fix and preview again
        else:
            text, source = normalized(form.text.data), PASTED
            if not text.strip():
                flash("Choose a manifest file or paste a manifest, then preview it.", "error")
                return self.page(form)
            documents = manifests.load_documents(text, source)
        return self.preview(form, text, source, manifests.plan_import(documents))

    def preview(self, form, text, source, plan):
        if text is not None:
            form.text.data = text
        confirm = ConfirmForm(formdata=None, text=text, source=source, digest=plan_digest(text or "", plan))
        if not plan.ok:
            flash("The manifest has errors, listed below; nothing was imported. Fix them and preview again.", "error")
        return self.page(form, plan, confirm)

    @expose("/confirm/", methods=("POST",))
    def confirm(self):
        posted = ConfirmForm()
        text, source = normalized(posted.text.data), (posted.source.data or PASTED)[:SOURCE_MAX]
        plan = manifests.plan_import(manifests.load_documents(text, source))
        form = ImportForm(formdata=None)
        if posted.digest.data != plan_digest(text, plan):
            flash(
                "The plugins changed since your preview, so nothing was imported. "
                "Below is what importing would do now; confirm again to apply it.",
                "error",
            )
            return self.preview(form, text, source, plan)
        if not plan.ok:
            return self.preview(form, text, source, plan)
        manifests.apply(plan)
        if plan.failed_sources():
            flash("Nothing was imported: someone changed these plugins while the import ran.", "error")
            return self.preview(form, text, source, plan)
        flash(self.outcome(plan), "success")
        return redirect(url_for(".index"))

    @staticmethod
    def outcome(plan) -> Markup:
        """``Imported from x.yaml: created <a>a</a>; updated <a>b</a>; unchanged c.``"""
        groups: dict[str, list[Markup]] = {}
        for document in plan.documents:
            plugin = document.plugin
            link = Markup('<a href="{}">{}</a>').format(
                url_for("pluginmeta.details_view", id=plugin.hashed_id), plugin.name
            )
            verb = {manifests.CREATE: "created", manifests.UPDATE: "updated"}.get(document.action, "unchanged")
            groups.setdefault(verb, []).append(link)
        parts = [Markup("{} {}").format(verb, Markup(", ").join(links)) for verb, links in groups.items()]
        source = plan.documents[0].document.source
        return Markup("Imported from {}: {}.").format(source, Markup("; ").join(parts))
