"""Static files (the app's and Flask-Admin's) served by WhiteNoise: cached for a year, under
URLs that carry a hash of the file's content, gzip-compressed when the browser asks.

Every URL ``url_for`` builds for a static file gets ``?v=<content hash>``, whoever builds
it (Flask-Admin's templates, ours, ``urls.asset_url``), so a changed file has a new URL
and a browser may keep every file it has without asking again. Compressed copies are made
ahead of time by ``flask assets`` (``make run`` and ``make serve-prod`` run it) into
``instance/assets`` (``ASSETS_DIR``); without that build the same files are served uncompressed.
"""

import functools
import hashlib
import shutil
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

ONE_YEAR = 365 * 24 * 3600
UNUSED = shutil.ignore_patterns("bootstrap2", "bootstrap3")
"""Flask-Admin's Bootstrap 2 and 3 themes: this app uses Bootstrap 4 only."""


def static_roots(app) -> dict[str, tuple[str, Path]]:
    """endpoint -> (URL prefix, source folder) of every static folder: the app's and the admin's,
    read from the URL map, so the prefix is what ``url_for`` writes."""
    roots = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            owner = app if rule.endpoint == "static" else app.blueprints[rule.endpoint.rsplit(".", 1)[0]]
            roots[rule.endpoint] = (rule.rule.removesuffix("/<path:filename>"), Path(owner.static_folder))
    return roots


def build_dir(app) -> Path:
    return Path(app.config.get("ASSETS_DIR") or Path(app.instance_path) / "assets")


STAMP = ".built-from"
"""Beside each built folder (not in it, where it would be served): its source's newest change then."""


def newest_change(folder: Path) -> str:
    return str(max((p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()), default=0))


def served_folders(app) -> dict[str, tuple[str, Path]]:
    """Each root from the build when ``flask assets`` made one from its current source, else the source
    itself: an edited file is never hidden behind an older build."""
    built = build_dir(app)

    def current(endpoint: str, source: Path) -> bool:
        stamp = built / f"{endpoint}{STAMP}"
        return stamp.is_file() and stamp.read_text() == newest_change(source)

    return {
        endpoint: (prefix, built / endpoint if current(endpoint, source) else source)
        for endpoint, (prefix, source) in static_roots(app).items()
    }


@functools.lru_cache(maxsize=2048)
def content_hash(path: str, mtime_ns: int) -> str:
    """The first 12 hex digits of the file's SHA-256 (keyed by mtime: an edited file hashes anew)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def version_static_urls(folders):
    """A ``url_defaults`` hook: ``?v=<content hash>`` on every static URL (replacing a library's own ``v``)."""

    def add_version(endpoint, values):
        if endpoint not in folders or "filename" not in values:
            return
        path = folders[endpoint][1] / values["filename"]
        if path.is_file():
            values["v"] = content_hash(str(path), path.stat().st_mtime_ns)

    return add_version


def no_sniffing(headers, path, url) -> None:
    """What ``security.set_security_headers`` adds to Flask's responses; WhiteNoise answers before Flask."""
    headers["X-Content-Type-Options"] = "nosniff"


def init_assets(app) -> None:
    """Call after every blueprint is registered (Flask-Admin's brings its static folder)."""
    folders = served_folders(app)
    whitenoise = WhiteNoise(
        app.wsgi_app,
        max_age=ONE_YEAR,
        immutable_file_test=lambda path, url: True,  # every URL we hand out names its content
        autorefresh=app.debug,
        add_headers_function=no_sniffing,
    )
    for prefix, folder in folders.values():
        whitenoise.add_files(str(folder), prefix=prefix)
    app.wsgi_app = whitenoise
    app.url_defaults(version_static_urls(folders))
    app.cli.add_command(build_assets)


@click.command("assets")
@with_appcontext
def build_assets():
    """Copy the static folders into instance/assets with a gzip copy of each compressible file."""
    app = current_app
    target = build_dir(app)
    shutil.rmtree(target, ignore_errors=True)
    compressor = Compressor(use_brotli=False, quiet=True)
    count = 0
    for endpoint, (_, source) in static_roots(app).items():
        shutil.copytree(source, target / endpoint, ignore=UNUSED)
        for path in (target / endpoint).rglob("*"):
            if path.is_file() and compressor.should_compress(path.name):
                compressor.compress(str(path))
                count += 1
        (target / f"{endpoint}{STAMP}").write_text(newest_change(source))
    click.echo(f"built {target} ({count} files compressed)")
