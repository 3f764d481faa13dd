"""Flask-Admin views: hashed ids in every URL and form, role checks, validation from the models.

No integer id reaches a browser: ``get_pk_value`` hands out hashed ids and every way
back in (``get_one``, bulk actions, the ajax lookup) decodes them; anything that does
not decode finds nothing. Saving goes through the model layer's write gate; its
``ValidationError`` lands under the form's fields. Edits carry the ``row_version``
they were opened with, so a save on a stale form is refused instead of overwriting.
"""

import copy
import json
import logging
from datetime import UTC, datetime

from flask import Response, flash, jsonify, request, url_for
from flask_admin import Admin, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView, tools
from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, DateTimeGreaterFilter, DateTimeSmallerFilter
from flask_admin.form import FormOpts
from flask_admin.model import typefmt
from flask_admin.model.template import EndpointLinkRowAction
from flask_admin.theme import Bootstrap4Theme
from markupsafe import Markup
from sqlalchemy import inspect, or_
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import FloatField, SelectField
from wtforms.fields.choices import SelectChoice

from .. import request_preview, validation
from ..auth import has_role
from ..catalog import get_catalog
from ..extensions import db
from ..models import PluginData, PluginMeta, PluginPrompt, PluginSelector, TimestampedModel, User, versioning
from ..security import csp_nonce
from ..validation import ValidationError
from . import lists
from .forms import (
    AdminForm,
    ChangeNoteField,
    CommaListField,
    HashedAjaxLoader,
    JSONListField,
    NewPasswordField,
    OpenedVersionField,
    catalog_payload,
    choices,
    with_catalog_hints,
)
from .history import AuditView, HistoryViews
from .manifests import ManifestExports, ManifestImportView
from .roles import RoleGate

log = logging.getLogger(__name__)


def utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def shown(value) -> str:
    return str(value) if isinstance(value, TimestampedModel) else validation.show(value)


class SecureModelView(RoleGate, HistoryViews, ModelView):
    """The base of every model view: hashed ids, roles, clean saves, optimistic locking, history."""

    form_base_class = AdminForm
    write_role = "editor"
    delete_role = "admin"
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    export_max_rows = 10_000
    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    named_filter_urls = True
    column_default_sort = ("updated_at", True)
    column_display_pk = False
    form_excluded_columns: tuple[str, ...] = (
        "created_at",
        "updated_at",
        "row_version",
        "revision",
        "changed_by",
        "versions",
    )
    form_overrides: dict | None = None
    form_args: dict | None = None
    column_details_exclude_list = ("row_version", "versions")
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: lambda view, value, name: utc_text(value)}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: lambda view, value, name: utc_text(value)}
    details_template = "admin/record_details.html"
    edit_template = "admin/record_edit.html"
    list_template = "admin/model/large_list.html"
    form_selects: dict[str, list[SelectChoice]] = {}
    """Fields chosen from a fixed list: plain selects (Flask-Admin's Select2Field trips WTForms 3.3 deprecations)."""

    def __init__(self, *args, **kwargs):
        self.form_overrides = {**(self.form_overrides or {}), **dict.fromkeys(self.form_selects, SelectField)}
        self.form_args = {**(self.form_args or {}), **{n: {"choices": c} for n, c in self.form_selects.items()}}
        super().__init__(*args, **kwargs)

    # --- roles, checked server-side before any view runs ---------------------------------

    @property
    def can_create(self):
        return has_role(self.write_role)

    @property
    def can_edit(self):
        return has_role(self.write_role)

    @property
    def can_delete(self):
        return has_role(self.delete_role)

    def view_role(self, name: str) -> str:
        """The role a view (by method name) needs; bulk actions need their action's role."""
        if name == "action_view":
            return self.action_role(request.form.get("action", ""))
        if name == "delete_view":
            return self.delete_role
        if name in ("create_view", "edit_view", "ajax_update", "ajax_lookup", "restore_view"):
            return self.write_role
        return self.read_role

    def action_role(self, name: str) -> str:
        return self.delete_role if name == "delete" else self.write_role

    def is_action_allowed(self, name):
        return has_role(self.action_role(name)) and super().is_action_allowed(name)

    def render(self, template, **kwargs):
        kwargs.setdefault("page_data", self.page_data())
        opts = kwargs.get("form_opts")
        if opts is not None:
            # Flask-Admin's form macros add ``is-invalid`` (and more) to the widget arguments
            # they are given: hand each page its own copy, not the view's shared ``form_widget_args``.
            kwargs["form_opts"] = FormOpts(copy.deepcopy(opts.widget_args), opts.form_rules)
        return super().render(template, **kwargs)

    def page_data(self):
        """JSON the page's script reads (a ``<script type="application/json">`` block, CSP-safe)."""
        return None

    # --- hashed ids ---------------------------------------------------------------------

    def get_pk_value(self, model):
        return model.hashed_id

    def get_one(self, id):
        pk = self.model.id_from_hashed_id(id)  # a list (``?id=a&id=b``) or junk decodes to None
        return db.session.get(self.model, pk) if pk is not None else None

    def decode_ids(self, ids) -> list[int]:
        return [pk for pk in map(self.model.id_from_hashed_id, ids) if pk is not None]

    @action("delete", "Delete", "Are you sure you want to delete the selected records?")
    def action_delete(self, ids):
        """Flask-Admin's bulk delete, on hashed ids, record by record (cascades and cache invalidation run)."""
        return super().action_delete(self.decode_ids(ids))

    def _create_ajax_loader(self, name, options):
        remote = getattr(self.model, name).property.mapper.class_
        return HashedAjaxLoader(name, self.session, remote, **options)

    def get_export_columns(self):
        return [*super().get_export_columns(), ("record_locator", "Locator")]

    # --- list queries: the one place list loading is tuned ---------------------------------

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's search, filters and sort, paged by ``lists``: a cached total and a
        short index walk on any page instead of ``COUNT(*)`` and a deep ``OFFSET`` per view.

        Always executes: Flask-Admin's list and export ask for rows, never for a query."""
        query = self.get_query()
        joins: dict = {}
        if self._search_supported and search:
            query, joins = self.apply_search(query, joins, search)
        if filters and self._filters:
            query, _, joins, _ = self._apply_filters(query, None, joins, {}, filters)
        unsorted = query.statement
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        eager = [joinedload(path) for path in self._auto_joins]  # the relationships the list shows
        size = page_size or self.page_size
        return lists.fetch(db.session, query.statement, self.model, page or 0, size, eager, unsorted)

    def apply_search(self, query, joins, search):
        """Flask-Admin's search (every word in some searchable column; ``^`` prefix, ``=`` exact),
        matched by ``lists.matches`` instead of its ``lower(CAST(…)) LIKE lower(…)``."""
        for term in search.split():
            pattern, clauses = tools.parse_like_term(term), []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                clauses.append(lists.matches(db.session, column, pattern))
            query = query.filter(or_(*clauses))
        return query, joins

    # --- saving ---------------------------------------------------------------------------

    def build_new_instance(self):
        return self.model()  # the model's __init__ applies column defaults before validation

    def get_create_form(self):
        return type("CreateForm", (super().get_create_form(),), {"change_note": ChangeNoteField.optional()})

    def get_edit_form(self):
        fields = {"opened_version": OpenedVersionField(), "change_note": ChangeNoteField.optional()}
        return type("EditForm", (super().get_edit_form(),), fields)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.opened_version.data = obj.row_version
        return form

    def create_model(self, form):
        model = self.build_new_instance()
        return model if self.save(form, model, is_created=True) else False

    def update_model(self, form, model):
        if str(form.opened_version.data or "").strip() != str(model.row_version):
            self.refuse_stale(form, model)
            return False
        return self.save(form, model, is_created=False)

    def save(self, form, model, is_created: bool) -> bool:
        session = db.session
        try:
            versioning.set_context(session, note=form.change_note.data or "")
            form.populate_obj(model)
            self._on_model_change(form, model, is_created)
            session.add(model)
            session.commit()
        except ValidationError as error:
            session.rollback()
            self.show_errors(form, error)
            return False
        except StaleDataError:
            session.rollback()
            current = session.get(self.model, model.id)
            if current is None:
                flash("This record was deleted by someone else; nothing was saved.", "error")
            else:
                self.refuse_stale(form, current)
            return False
        except Exception as error:
            session.rollback()
            self.handle_view_exception(error)
            return False
        self.after_model_change(form, model, is_created)
        return True

    def handle_view_exception(self, exc):
        """Log it for operators; tell the person without SQL or traceback (Flask-Admin would show both)."""
        log.exception("saving %s failed", self.model.__name__, exc_info=exc)
        flash("The change could not be saved; nothing was written. Please try again.", "error")
        return True

    def form_field_for(self, field: str) -> str:
        """The form field that shows a model error: foreign key columns show under their relationship."""
        for rel in inspect(self.model).relationships:
            if field in {c.key for c in rel.local_columns}:
                return rel.key
        return field

    def show_errors(self, form, error: ValidationError) -> None:
        """Each message under its field; messages for fields the form lacks as a flash."""
        for field, messages in error.errors.items():
            name = self.form_field_for(field)
            if name in form:
                form[name].errors = [*form[name].errors, *messages]
            else:
                for message in messages:
                    flash(f"{field}: {message}", "error")
        flash("Nothing was saved: please correct the marked fields.", "error")

    def refuse_stale(self, form, current) -> None:
        """Someone saved since this form was opened: say what differs and write nothing."""
        skip = {"csrf_token", "opened_version", "change_note"}
        lines = [
            f"{field.label.text}: {shown(field.data)} → {shown(getattr(current, field.name))}"
            for field in form
            if field.name not in skip and hasattr(current, field.name) and field.data != getattr(current, field.name)
        ]
        flash(
            Markup(
                "Someone else saved this record after you opened it ({}, at {}: revision {}), so your save was "
                "refused and nothing was written. Differences (yours → saved now): {}. "
                '<a href="{}">Reload the current version</a> and apply your change again.'
            ).format(
                current.changed_by or "unknown",
                utc_text(current.updated_at),
                current.revision,
                "; ".join(lines) or "none in the fields of this form",
                self.get_url(".edit_view", id=current.hashed_id),
            ),
            "error",
        )

    # --- display ----------------------------------------------------------------------

    @staticmethod
    def details_link(record, text=None):
        if record is None:
            return Markup('<span class="text-muted">none</span>')
        url = url_for(f"{type(record).__name__.lower()}.details_view", id=record.hashed_id)
        return Markup('<a href="{}">{}</a>').format(url, text or str(record))


def updated_filters(model) -> tuple:
    """Filters on ``updated_at`` (a UTC type decorator Flask-Admin cannot scaffold filters for)."""
    column = model.updated_at
    return tuple(
        kind(column, "Updated") for kind in (DateTimeGreaterFilter, DateTimeSmallerFilter, DateTimeBetweenFilter)
    )


def _plugin_link(view, context, model, name):
    return SecureModelView.details_link(model.plugin)


REVISION_LABELS = {"changed_by": "Last changed by", "revision": "Revision"}
PLUGIN_FORM_AJAX = {"plugin": {"fields": ["name"], "placeholder": "Type a plugin name…", "minimum_input_length": 1}}


class PluginMetaView(ManifestExports, SecureModelView):
    details_template = "admin/plugin_details.html"
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-download", ".manifest_view", title="Export manifest (YAML)")
    ]
    column_list = ("name", "plugin_class", "version", "author", "updated_at", "changed_by")
    column_searchable_list = ("name", "description", "author")
    column_filters = ("plugin_class", "version", "author", *updated_filters(PluginMeta))
    column_sortable_list = ("name", "plugin_class", "version", "author", "updated_at")
    column_details_list = (
        "name",
        "description",
        "plugin_class",
        "version",
        "tags",
        "annotations",
        "author",
        "plugin_selector_plugin",
        "plugin_prompt_plugin",
        "plugin_data_plugin",
        "created_at",
        "updated_at",
        "revision",
        "changed_by",
    )
    column_labels = {
        **REVISION_LABELS,
        "plugin_selector_plugin": "Selector",
        "plugin_prompt_plugin": "Prompt",
        "plugin_data_plugin": "Data",
    }
    column_formatters_detail = {
        key: (lambda view, context, model, name: SecureModelView.details_link(getattr(model, name)))
        for key in ("plugin_selector_plugin", "plugin_prompt_plugin", "plugin_data_plugin")
    }
    form_selects = {"plugin_class": choices(validation.PLUGIN_CLASSES)}
    form_overrides = {"tags": CommaListField, "annotations": JSONListField}
    form_args = {"annotations": {"description": 'A JSON list of one-key mappings, e.g. [{"team": "weather"}].'}}
    form_excluded_columns = (
        *SecureModelView.form_excluded_columns,
        "plugin_selector_plugin",
        "plugin_prompt_plugin",
        "plugin_data_plugin",
    )


class PluginPartView(SecureModelView):
    """Selector, prompt and data: each belongs to one plugin, picked by typing its name."""

    form_ajax_refs = PLUGIN_FORM_AJAX
    column_formatters = {"plugin": _plugin_link}
    column_formatters_detail = {"plugin": _plugin_link}
    column_filters = ("plugin.name",)
    column_labels = {"plugin.name": "Plugin", **REVISION_LABELS}


class PluginSelectorView(PluginPartView):
    column_list = ("plugin", "directive", "search_terms", "updated_at")
    column_sortable_list = (("plugin", "plugin.name"), "directive", "updated_at")
    column_searchable_list = ("plugin.name",)
    column_filters = ("directive", *PluginPartView.column_filters, *updated_filters(PluginSelector))
    form_columns = ("plugin", "directive", "search_terms")
    form_selects = {"directive": choices(validation.DIRECTIVES)}
    form_overrides = {"search_terms": CommaListField}
    form_args = {"search_terms": {"description": "Comma-separated; required for search_terms, empty otherwise."}}


class PluginPromptView(PluginPartView):
    column_list = ("plugin", "provider", "model", "temperature", "max_completion_tokens", "updated_at", "changed_by")
    column_sortable_list = (
        ("plugin", "plugin.name"),
        "provider",
        "model",
        "temperature",
        "max_completion_tokens",
        "updated_at",
    )
    column_searchable_list = ("plugin.name", "model", "system_role")
    column_filters = (
        "provider",
        "model",
        "temperature",
        "max_completion_tokens",
        *PluginPartView.column_filters,
        *updated_filters(PluginPrompt),
    )
    form_columns = ("plugin", "provider", "model", "temperature", "max_completion_tokens", "system_role")
    form_widget_args = {"model": {"list": "catalog-models", "autocomplete": "off"}}
    form_overrides = {"temperature": FloatField}  # Flask-Admin's default, a DecimalField, hands the model a Decimal
    details_template = "admin/prompt_details.html"
    create_template = "admin/prompt_create.html"
    edit_template = "admin/prompt_edit.html"
    preview_fields = ("provider", "model", "temperature", "max_completion_tokens", "system_role")

    def __init__(self, *args, **kwargs):
        names = {p.key: p.display_name for p in get_catalog().providers.values()}
        self.form_selects = {"provider": choices(names, names)}
        super().__init__(*args, **kwargs)

    def page_data(self):
        return {"catalog": catalog_payload()}

    def create_form(self, obj=None):
        return with_catalog_hints(super().create_form(obj))

    def edit_form(self, obj=None):
        return with_catalog_hints(super().edit_form(obj))

    def view_role(self, name: str) -> str:
        return self.write_role if name == "request_preview_view" else super().view_role(name)

    def render(self, template, **kwargs):
        """The details page shows the request the saved prompt makes."""
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self.saved_request(kwargs["model"], request.args.get("message", "")))
        return super().render(template, **kwargs)

    @staticmethod
    def saved_request(prompt, message: str) -> dict:
        try:
            preview = request_preview.preview_prompt(
                prompt.column_values(), prompt.plugin_id, request_preview.check_message(message)
            )
        except ValueError as refused:
            preview = {"provider": prompt.provider, "error": str(refused)}
        body = json.dumps(preview["body"], indent=2, ensure_ascii=False) if "body" in preview else ""
        return {"request_preview": preview, "request_body_text": body, "request_message": message}

    @expose("/request/", methods=("POST",))
    def request_preview_view(self):
        """The request for a prompt form's unsaved values: a POST with the form's CSRF token that
        writes nothing. Values the model layer refuses come back as its field messages (422)."""
        values = {field: request.form.get(field) for field in self.preview_fields}
        PluginPrompt.clean_values(values)
        errors = PluginPrompt.check_values(values)
        try:
            message = request_preview.check_message(request.form.get("message"))
        except ValueError as refused:
            errors.add("message", str(refused))
        if errors:
            return jsonify({"provider": values["provider"], "errors": errors}), 422
        plugin_id = PluginMeta.id_from_hashed_id(request.form.get("plugin"))
        preview = request_preview.preview_prompt(values, plugin_id, message)
        return Response(request_preview.as_json(preview), content_type="application/json")


class PluginDataView(PluginPartView):
    column_list = ("plugin", "description", "connection", "method", "limit", "updated_at")
    column_sortable_list = (("plugin", "plugin.name"), "connection", "method", "limit", "updated_at")
    column_searchable_list = ("plugin.name", "description", "connection")
    column_filters = (
        "plugin.plugin_class",
        "connection",
        "method",
        *PluginPartView.column_filters,
        *updated_filters(PluginData),
    )
    column_labels = {**PluginPartView.column_labels, "plugin.plugin_class": "Plugin class"}
    form_columns = (
        "plugin",
        "description",
        "static_data",
        "connection",
        "sql_query",
        "endpoint",
        "method",
        "url_params",
        "headers",
        "body",
        "parameters",
        "test_values",
        "limit",
    )
    form_selects = {"method": choices(("", *validation.HTTP_METHODS), {"": "—"})}
    form_overrides = {"parameters": JSONListField, "test_values": JSONListField}


class UserView(SecureModelView):
    """Logins: admins only, for reading too (password hashes never leave the server)."""

    read_role = write_role = delete_role = "admin"
    column_list = ("username", "role", "active", "updated_at")
    column_details_list = ("username", "role", "active", "created_at", "updated_at", "revision", "changed_by")
    column_labels = REVISION_LABELS
    column_searchable_list = ("username",)
    column_filters = ("role", "active", *updated_filters(User))
    form_columns = ("username", "role", "active", "password")
    form_selects = {"role": choices(validation.ROLES)}
    form_extra_fields = {
        "password": NewPasswordField("Password", description="At least 8 characters; leave blank to keep.")
    }
    column_export_list = ("username", "role", "active", "created_at", "updated_at")

    def on_model_change(self, form, model, is_created):
        if form.password.data or is_created:
            model.set_password(form.password.data)


def init_admin(app) -> Admin:
    """Build the admin and its views for ``app`` (inside the factory: nothing exists at import time)."""
    from .dashboard import DashboardView

    theme = Bootstrap4Theme(
        base_template="admin/app_master.html", swatch=app.config.get("FLASK_ADMIN_SWATCH", "default")
    )
    admin = Admin(
        app,
        name="Plugin Prompt Admin",
        index_view=DashboardView(name="Dashboard", url="/admin"),
        theme=theme,
        csp_nonce_generator=csp_nonce,
    )
    session = db
    admin.add_view(PluginMetaView(PluginMeta, session, name="Plugins", endpoint="pluginmeta"))
    admin.add_view(PluginSelectorView(PluginSelector, session, name="Selectors", endpoint="pluginselector"))
    admin.add_view(PluginPromptView(PluginPrompt, session, name="Prompts", endpoint="pluginprompt"))
    admin.add_view(PluginDataView(PluginData, session, name="Plugin data", endpoint="plugindata"))
    admin.add_view(UserView(User, session, name="Users", endpoint="user"))
    admin.add_view(ManifestImportView(name="Import manifest", endpoint="manifests"))
    admin.add_view(AuditView(name="Audit", endpoint="audit", url="/admin/audit"))
    return admin
