"""Response hardening and error pages: security headers on every response, no traceback ever shown.

The Content-Security-Policy allows scripts only from this site or with the per-request
nonce Flask-Admin puts on its own ``<script>`` tags; there is no CDN.
"""

import logging
import secrets

from flask import g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: "The request could not be understood.",
    401: "Please log in first.",
    403: "Your role does not allow this.",
    404: "There is nothing here. The link may be mistyped, or the record was deleted.",
    405: "This address does not accept that kind of request.",
    413: "The request is too large.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


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


def error_page(code: int, detail: str | None = None):
    text = detail or ERROR_TEXT.get(code) or "The request failed."
    return render_template("error.html", code=code, text=text), code


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return error_page(error.code)


def handle_csrf_error(error: CSRFError):
    return error_page(400, "The form had expired or was not sent from this site. Reload the page and try again.")


def handle_unexpected(error: Exception):
    """Log the traceback for operators; show the person a plain page."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return error_page(500)


def init_security(app) -> None:
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
