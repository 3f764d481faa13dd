"""Response hardening and error pages: security headers on every response, no traceback ever shown.

The Content-Security-Policy allows scripts only from this site or with the per-request
nonce Flask-Admin puts on its own ``<script>`` tags; there is no CDN.
"""

import logging
import secrets

import sqlalchemy as sa
from flask import abort, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import login_manager

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: "The request could not be understood.",
    401: "Please log in first.",
    403: "Your role does not allow this.",
    404: "There is nothing here. The link may be mistyped, or the record was deleted.",
    405: "This address does not accept that kind of request.",
    413: "The request is too large.",
    429: "Too many attempts. Please wait a little and try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
    503: "The database cannot be reached just now. Nothing was lost; please try again in a moment.",
}
RETRY_AFTER_SECONDS = 30
"""What a 503 page asks clients to wait before trying again."""


def csp_nonce() -> str:
    """One nonce per request, shared by the CSP header and Flask-Admin's script tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{csp_nonce()}'",
            # Bootstrap's and select2's widgets set inline styles; scripts stay strict.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def error_page(code: int, detail: str | None = None, headers=None):
    text = detail or ERROR_TEXT.get(code) or "The request failed."
    return render_template("error.html", code=code, text=text), code, headers or {}


def handle_http_error(error: HTTPException):
    """The app's page for every HTTP error; a description given to ``abort`` says what was wrong."""
    if error.code is None or error.code < 400:
        return error
    custom = error.description if error.description != type(error).description else None
    headers = {k: v for k, v in error.get_headers() if k.lower() == "retry-after"}
    return error_page(error.code, custom, headers)


CHECKED_BY_THEIR_VIEW = frozenset({"message"})
"""Query arguments whose view refuses a NUL itself, in its own words and format (the request
preview's sample message, which never reaches the database)."""


def refuse_nul_arguments():
    """No field can hold a NUL character (PostgreSQL text refuses it): a query string with one is
    refused before any search, filter, lookup or export sends it to the database."""
    if any("\x00" in key + value for key, value in request.args.items(multi=True) if key not in CHECKED_BY_THEIR_VIEW):
        abort(400, "The address contains a NUL character (\\x00), which no search, filter or field can hold.")


def database_unreachable(error: sa.exc.DBAPIError) -> bool:
    """Whether ``error`` says the database cannot be reached (not that a statement was wrong)."""
    return isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)) or error.connection_invalidated


def handle_database_error(error: sa.exc.SQLAlchemyError):
    """A 503 page with ``Retry-After`` while the database is away; any other SQL error is a bug (500)."""
    if isinstance(error, sa.exc.DBAPIError) and not database_unreachable(error):
        return handle_unexpected(error)
    log.error("database unreachable on %s %s: %s", request.method, request.path, error)
    g._login_user = login_manager.anonymous_user()  # the page must not ask the database who is logged in
    return error_page(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_csrf_error(error: CSRFError):
    return error_page(400, "The form had expired or was not sent from this site. Reload the page and try again.")


def handle_unexpected(error: Exception):
    """Log the traceback for operators; show the person a plain page."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return error_page(500)


def init_security(app) -> None:
    app.before_request(refuse_nul_arguments)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(sa.exc.DBAPIError, handle_database_error)
    app.register_error_handler(sa.exc.TimeoutError, handle_database_error)  # no pooled connection came free
    app.register_error_handler(Exception, handle_unexpected)
