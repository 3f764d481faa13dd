"""Static files through WhiteNoise: content-hashed URLs, a year of caching, gzip when asked."""

import gzip
import re
from pathlib import Path

from flask import url_for


def asset_urls(body: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/(?:admin/)?static/[^"]+)"', body)


def test_every_asset_of_a_page_has_a_content_hash_and_is_cached_for_a_year(client, auth):
    auth.login("viewer")
    body = client.get("/admin/pluginprompt/").get_data(as_text=True)
    urls = asset_urls(body.replace("&amp;", "&"))
    assert len(urls) >= 10 and any(u.startswith("/admin/static/") for u in urls) and "/static/js/admin.js" in body
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url  # Flask-Admin's own v=4.6.2 replaced too
        with client.get(url) as response:  # WhiteNoise answers with an open file
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_changed_file_hashes_anew_and_a_given_version_is_replaced(app, tmp_path):
    from plugin_admin.assets import content_hash

    path = tmp_path / "a.css"
    path.write_text("a {}")
    before = content_hash(str(path), path.stat().st_mtime_ns)
    path.write_text("b {}")
    assert content_hash(str(path), path.stat().st_mtime_ns) != before
    with app.test_request_context():
        assert url_for("static", filename="css/app.css") == url_for("static", filename="css/app.css", v="1")


def test_the_build_serves_gzip_to_browsers_that_ask(make_app, tmp_path):
    app = make_app(ASSETS_DIR=str(tmp_path / "assets"))
    result = app.test_cli_runner().invoke(args=["assets"])
    assert result.exit_code == 0 and "files compressed" in result.output
    assert (tmp_path / "assets" / "admin.static" / "vendor" / "jquery.min.js.gz").is_file()
    assert not (tmp_path / "assets" / "admin.static" / "bootstrap" / "bootstrap3").exists()

    built = make_app(ASSETS_DIR=str(tmp_path / "assets")).test_client()
    url = "/admin/static/vendor/jquery.min.js"
    with built.get(url) as plain, built.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as packed:
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(packed.data) == plain.data
        assert len(packed.data) < len(plain.data) / 2


def test_a_build_older_than_its_source_is_not_served(make_app, tmp_path):
    from plugin_admin.assets import served_folders

    app = make_app(ASSETS_DIR=str(tmp_path / "assets"))
    app.test_cli_runner().invoke(args=["assets"])
    assert served_folders(app)["static"][1] == tmp_path / "assets" / "static"
    (tmp_path / "assets" / "static.built-from").write_text("0")  # as if a source file changed since
    assert served_folders(app)["static"][1] == Path(app.static_folder)
