"""Shareable record links: ``/l/<record_locator>`` and ``/l/<record_locator>.json`` (SPEC §2, §5).

Anonymous visitors pass through the login gate (``auth.require_login``) and come back
here. ``/l/<plugin locator>.yaml`` is the plugin's manifest; other records have none (404).
``/l/<prompt locator>.request.json`` is the request the prompt's provider receives (SPEC §7).
"""

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request, url_for

from . import manifests, request_preview
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
    for view in current_app.extensions["admin"][0]._views:
        if getattr(view, "model", None) is type(record):
            return view
    abort(404)


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
    try:
        message = request_preview.check_message(request.args.get("message"))
    except ValueError as refused:
        return jsonify({"error": str(refused)}), 400
    preview = request_preview.preview_prompt(prompt.column_values(), prompt.plugin_id, message)
    return Response(request_preview.as_json(preview), content_type="application/json")
