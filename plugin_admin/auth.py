"""Who may do what: session login (Flask-Login), a login gate on every page, role checks.

Every request needs a login except the models' ``amnesty_urls``, the login page and
static files; roles (viewer < editor < admin) are checked server-side by ``check_role``
(the admin's views through ``admin.roles.RoleGate``).
"""

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from . import hashing
from .extensions import db, login_manager
from .models import TimestampedModel, User

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "static", "admin.static"}
"""Endpoints reachable without a login, besides the models' ``amnesty_urls``."""


LOCATOR_PATH = re.compile(r"/l/([^/.]+)(?:\.(?:json|yaml))?")
RECORD_KINDS = {"pluginmeta": "plugin", "pluginprompt": "prompt", "pluginselector": "selector", "plugindata": "data"}


def shared_record(target: str) -> dict | None:
    """What a shared locator link waiting behind the login page will open: its kind and locator.

    Only what the link itself says: the page is shown before anyone is known, so it
    neither reads the record nor tells whether it exists.
    """
    match = LOCATOR_PATH.fullmatch(urlsplit(target).path)
    parsed = hashing.parse_locator(match[1]) if match else None
    if parsed is None or TimestampedModel.model_for_locator_prefix(parsed[0]) is None:
        return None
    return {"kind": RECORD_KINDS.get(parsed[0], parsed[0]), "locator": match[1]}


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    next = HiddenField()


def init_auth(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
    app.before_request(require_login)


@login_manager.user_loader
def load_user(user_id: str):
    """The session holds the user's hashed id; a cached read, so a warm request does no SQL for it."""
    user = User.get_cached_object(pk=User.id_from_hashed_id(user_id))
    return user if user is not None and user.is_active else None


def safe_next(target) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host, no ``//`` or ``\\`` tricks)."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 for c in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def require_login():
    """The gate in front of every view: anonymous requests go to the login page and come back."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.path in TimestampedModel.amnesty_urls:
        return None
    if current_user.is_authenticated:
        return None
    if request.method not in ("GET", "HEAD"):
        abort(401)  # a form posted after the session ended: going to the login page would lose it silently
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def has_role(role: str) -> bool:
    return current_user.is_authenticated and current_user.can(role)


def check_role(role: str) -> None:
    """Refuse the request with 403 unless the current user holds ``role`` (or a stronger one)."""
    if not has_role(role):
        abort(403)


@bp.route("/login", methods=("GET", "POST"))
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = safe_next(form.next.data) or url_for("admin.index")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).filter_by(username=form.username.data.strip()))
        if user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user)
            return redirect(target)
        form.password.errors = ["Unknown username or wrong password."]
    return render_template("auth/login.html", form=form, waiting=shared_record(target))


@bp.post("/logout")
def logout():
    """POST only, so a link or an image on another page cannot log anyone out (CSRFProtect checks the token)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
