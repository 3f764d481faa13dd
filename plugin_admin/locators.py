"""Shareable record links: ``/l/<record_locator>`` and ``/l/<record_locator>.json``, and of a
revision: ``/l/<record_locator>@<n>``, ``@<n>.json`` and for a prompt ``@<n>.request.json``, deleted
records' too.

Anonymous visitors pass through the login gate (``auth.require_login``) and come back
here. ``/l/<plugin locator>.yaml`` is the plugin's manifest; other records have none (404).
``/l/<prompt locator>.request.json`` is the request the prompt's provider receives.
"""

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request, url_for

from . import hashing, manifests, request_preview, revisions
from .admin.manifests import CONTENT_TYPES
from .auth import check_role
from .models import PluginMeta, PluginPrompt, TimestampedModel

bp = Blueprint("locators", __name__)


def resolve(locator: str, model=TimestampedModel):
    """The record ``locator`` names, if the current user may read it; 404 for anything else.

    Reads through the cache: on a warm cache this issues no SQL for the record.
    """
    record = model.get_object_by_locator(locator)
    if record is None:
        abort(404)
    check_role(admin_view(record).read_role)
    return record


def admin_view(record):
    """The admin view of ``record``'s model: its endpoint is the locator prefix."""
    return model_view(type(record))


def model_view(model):
    for view in current_app.extensions["admin"][0]._views:
        if getattr(view, "model", None) is model:
            return view
    abort(404)


def resolve_revision(locator: str, n: int):
    """Revision ``n`` of the record ``locator`` names (deleted or not), if the user may read it; else 404."""
    parsed = hashing.parse_locator(locator)
    model = revisions.model_named(parsed[0]) if parsed else None
    if parsed is None or model is None:
        abort(404)
    view = model_view(model)
    check_role(view.read_role)
    return view, revisions.get(model, parsed[1], n) or abort(404)


@bp.get("/l/<locator>")
def follow(locator):
    record = resolve(locator)
    return redirect(url_for(f"{admin_view(record).endpoint}.details_view", id=record.hashed_id))


@bp.get("/l/<locator>.json")
def as_json(locator):
    return jsonify(resolve(locator).to_json())


@bp.get("/l/<locator>.yaml")
def as_yaml(locator):
    return Response(manifests.export_plugin(resolve(locator, PluginMeta)), content_type=CONTENT_TYPES["yaml"])


@bp.get("/l/<locator>.request.json")
def as_request(locator):
    prompt = resolve(locator, PluginPrompt)
    return _preview(prompt.column_values(), prompt.plugin_id)


def _preview(values: dict, plugin_id):
    try:
        message = request_preview.check_message(request.args.get("message"))
    except ValueError as refused:
        return jsonify({"error": str(refused)}), 400
    preview = request_preview.preview_prompt(values, plugin_id, message)
    return Response(request_preview.as_json(preview), content_type="application/json")


@bp.get("/l/<locator>@<int:n>")
def revision(locator, n):
    view, found = resolve_revision(locator, n)
    return redirect(url_for(f"{view.endpoint}.history_view", id=found.hashed_id, rev=found.n))


@bp.get("/l/<locator>@<int:n>.json")
def revision_json(locator, n):
    return jsonify(resolve_revision(locator, n)[1].to_json())


@bp.get("/l/<locator>@<int:n>.request.json")
def revision_request(locator, n):
    """The request the prompt's provider would have received at revision ``n`` (SPEC §7)."""
    _, found = resolve_revision(locator, n)
    if found.model is not PluginPrompt:
        abort(404)
    return _preview(found.values, found.values.get("plugin_id"))
