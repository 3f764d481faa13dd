"""A live server and a headless Chromium, shared by the browser tests and the screenshot script."""

import os
import shutil
import threading
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_problem() -> str | None:
    """Why Chromium cannot be driven here, or None."""
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        return f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401 - imported only to learn whether it is installed
    except ImportError as exc:
        return f"the playwright package is missing ({exc})"
    return None


class QuietHandler(WSGIRequestHandler):
    """No access log: test output shows failures, not every static file."""

    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def live_server(app):
    """Serve ``app`` on 127.0.0.1 and a free port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium():
    """A headless Chromium (the system's: no browser is ever downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page, base_url: str, username: str, password: str) -> None:
    """Fill in the login form as a person would (the page may already be on it, after a redirect)."""
    if "/login" not in page.url:
        page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():  # waits for the next page's load: its scripts have run
        page.click("button[type=submit]")
