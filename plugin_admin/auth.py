"""Who may do what: session login (Flask-Login), a login gate on every page, role checks.

Every request needs a login except the models' ``amnesty_urls``, the login page and
static files; roles (viewer < editor < admin) are checked server-side by ``check_role``
(the admin's views through ``admin.roles.RoleGate``).

Sessions end on the server: a session names its user by hashed id *and* session token,
and the user is read from the database on every request (never from the cache alone),
so a new token (logout, password, role or active change) or a deactivation logs it out.
Failed logins are throttled per account and per client address (Flask-Limiter).
"""

import functools
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from . import caching, hashing
from .extensions import db, login_manager
from .models import TimestampedModel, User

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "static", "admin.static"}
"""Endpoints reachable without a login, besides the models' ``amnesty_urls``."""


NO_NUL = Regexp(r"^[^\x00]*$", message="may not contain a NUL character (\\x00)")
LOGIN_THROTTLED = (
    "Too many failed logins for this account or from this address. "
    "Please wait before trying again (the page says how long in its Retry-After header)."
)

LOCATOR_PATH = re.compile(r"/l/([^/.]+)(?:\.(?:json|yaml))?")
RECORD_KINDS = {"pluginmeta": "plugin", "pluginprompt": "prompt", "pluginselector": "selector", "plugindata": "data"}


def shared_record(target: str) -> dict | None:
    """What a shared locator link waiting behind the login page will open: its kind and locator.

    Only what the link itself says: the page is shown before anyone is known, so it
    neither reads the record nor tells whether it exists.
    """
    match = LOCATOR_PATH.fullmatch(urlsplit(target).path)
    if match is None:
        return None
    parsed = hashing.parse_locator(match[1])
    if parsed is None or TimestampedModel.model_for_locator_prefix(parsed[0]) is None:
        return None
    return {"kind": RECORD_KINDS.get(parsed[0], parsed[0]), "locator": match[1]}


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=80), NO_NUL])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024), NO_NUL])
    next = HiddenField()


def init_auth(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
    throttle_logins(app)
    app.before_request(require_login)


def throttle_logins(app) -> Limiter:
    """At most ``LOGIN_FAILURE_LIMIT`` failed logins per account and per client address, then 429.

    Only failures count (a login that succeeds redirects). The counts live in the configured
    Redis (every process sees them), else in this process's memory; a Redis that fails falls
    back to memory rather than failing the login page.
    """
    limiter = Limiter(
        get_remote_address,
        app=app,
        headers_enabled=True,
        strategy="moving-window",
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    failed = functools.partial(
        limiter.limit, limit, methods=["POST"], deduct_when=lambda response: response.status_code != 302,
        error_message=LOGIN_THROTTLED,
    )  # fmt: skip
    view = app.view_functions["auth.login"]
    view = failed(key_func=lambda: f"account:{request.form.get('username', '').strip().lower()}", scope="account")(view)
    app.view_functions["auth.login"] = failed(key_func=get_remote_address, scope="address")(view)
    return limiter


@login_manager.user_loader
def load_user(session_id: str):
    """The user of a session, from the database: one statement that also reads the cache epoch.

    None (logged out) unless the session's token is the user's current one and the user is active.
    """
    parsed = User.parse_session_id(session_id)
    if parsed is None:
        return None
    pk, token = parsed
    row = db.session.execute(sa.select(User, caching.EPOCH.scalar_subquery()).where(User.id == pk)).first()
    if row is None:
        return None
    user, epoch = row
    caching.remember_epoch(epoch)
    return user if user.is_active and user.session_token == token else None


@functools.cache
def dummy_password_hash() -> str:
    """A hash to check the password of an unknown account against: the same work as a real check."""
    return generate_password_hash("no account has this password")


def password_matches(user, password: str) -> bool:
    """Hash ``password`` whether or not ``user`` exists, so the time taken tells nothing."""
    if user is None:
        check_password_hash(dummy_password_hash(), password)
        return False
    return user.check_password(password)


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
        if password_matches(user, form.password.data) and user is not None and user.is_active:
            login_user(user)
            return redirect(target)
        form.password.errors = ["Unknown username or wrong password."]
    return render_template("auth/login.html", form=form, waiting=shared_record(target))


@bp.post("/logout")
def logout():
    """POST only, so a link or an image on another page cannot log anyone out (CSRFProtect checks the token).

    Ends the user's sessions on the server too: a copy of the cookie no longer logs in."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
