"""The app under gunicorn on 127.0.0.1 and a browser-like client, for tests (and the bench) with real workers."""

import html.parser
import http.cookiejar
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``gunicorn -w N app:app`` with the given environment; ``with`` starts it and always stops it."""

    def __init__(self, env: dict, workers: int = 2, start_timeout: float = 30):
        self.env = {**os.environ, **env}
        self.workers = workers
        self.start_timeout = start_timeout
        self.port = free_port()
        self.process = None
        self.log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "app:app"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /healthz within {self.start_timeout} s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.log is not None:
            self.log.close()
            self.log = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class FormFields(html.parser.HTMLParser):
    """The values a browser would submit from the fields of a page (one form, or forms sharing names)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.fields[name] = a.get("value") or ""
        elif tag == "input" and name and "checked" in a:
            self.fields[name] = a.get("value") or "y"
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and ("selected" in a or not self.fields[self._select]):
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(page: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(page)
    return parser.fields


@dataclass
class Response:
    status: int
    body: str
    statements: int | None
    location: str | None = None


@dataclass
class Client:
    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self):
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self._openers = {True: urllib.request.build_opener(cookies),
                         False: urllib.request.build_opener(cookies, _NoRedirect())}  # fmt: skip

    def request(self, path: str, data: dict | None = None, follow: bool = True) -> Response:
        opener = self._openers[follow]
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = opener.open(self.base + path, data=body, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            header = response.headers.get("X-SQL-Statements")
            return Response(
                response.status, response.read().decode(errors="replace"),
                int(header) if header is not None else None, response.headers.get("Location"),
            )  # fmt: skip

    def login(self, username: str, password: str) -> None:
        token = form_fields(self.request("/login").body).get("csrf_token")
        if not token:
            raise RuntimeError("no csrf_token on /login: is the login page merged?")
        response = self.request("/login", {"username": username, "password": password, "csrf_token": token})
        if "/login" in response.body and 'name="password"' in response.body:
            raise RuntimeError("login refused")
