"""Liveness and readiness probes: served without a login (the models' ``amnesty_urls``)."""

import logging
import secrets

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import cache, db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readiness")
def readiness():
    checks = {"database": _check(_database), "cache": _check(_cache)}
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check(probe) -> str:
    try:
        probe()
    except Exception:  # a probe reports a failure; it never raises one
        log.exception("readiness probe %s failed", probe.__name__)
        return "unavailable"
    return "ok"


def _database():
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _cache():
    key, token = "health:probe", secrets.token_hex(8)
    cache.set(key, token, timeout=10)
    if cache.get(key) != token:
        raise RuntimeError("cache did not return what was written")
