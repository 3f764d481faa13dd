"""Screenshots for the docs: ``python -m tests.browser.screens [NAME ...]`` writes docs/screenshots/NAME.png.

Runs the app on a throwaway SQLite database with demo data, logs in as an admin in headless
Chromium and shoots each page in ``SCREENS``. Another page is one more entry there.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshot-password"


def shoot(page, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def first_prompt():
    import sqlalchemy as sa

    from plugin_admin.extensions import db
    from plugin_admin.models import PluginPrompt

    return db.session.scalar(
        sa.select(PluginPrompt).where(PluginPrompt.model.like("gpt-4%")).order_by(PluginPrompt.id).limit(1)
    )


def list_page(page, base_url):
    page.goto(f"{base_url}/admin/pluginprompt/?flt0_provider_equals=openai")


def edit_error_page(page, base_url):
    """The server's answer to a refused save (the browser's own range check set aside, as a script's would be)."""
    page.goto(f"{base_url}/admin/pluginprompt/edit/?id={first_prompt().hashed_id}")
    page.fill("#temperature", "3")
    page.fill("#max_completion_tokens", "100000")
    page.eval_on_selector("form.admin-form", "form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")


def provider_change_page(page, base_url):
    """The form flags what no longer fits the moment the provider changes, before any save."""
    page.goto(f"{base_url}/admin/pluginprompt/edit/?id={first_prompt().hashed_id}")
    page.fill("#temperature", "1.4")
    page.select_option("#provider", "anthropic")


def details_page(page, base_url):
    page.goto(f"{base_url}/admin/pluginprompt/details/?id={first_prompt().hashed_id}")


def edited_prompt():
    """The first prompt after three edits by two people, with notes (made once)."""
    from plugin_admin.extensions import db
    from plugin_admin.models import versioning

    prompt = first_prompt()
    if prompt.revision == 1:
        edits = (
            ("cli:ann", "Warmer tone for the spring campaign", {"temperature": 0.9}),
            ("cli:bob", "Ask before guessing", {"system_role": prompt.system_role + "\nAsk a question when unsure."}),
            ("cli:ann", "Shorter answers", {"max_completion_tokens": 512}),
        )
        for actor, note, values in edits:
            versioning.set_context(db.session, actor=actor, note=note)
            for key, value in values.items():
                setattr(prompt, key, value)
            db.session.commit()
    return prompt


def history_page(page, base_url):
    page.goto(f"{base_url}/admin/pluginprompt/history/?id={edited_prompt().hashed_id}")


def compare_page(page, base_url):
    page.goto(f"{base_url}/admin/pluginprompt/history/?id={edited_prompt().hashed_id}&a=1&b=4")


def audit_page(page, base_url):
    edited_prompt()
    page.goto(f"{base_url}/admin/audit/")


SCREENS = {
    "list": list_page,
    "edit-error": edit_error_page,
    "provider-change": provider_change_page,
    "details": details_page,
    "history": history_page,
    "compare": compare_page,
    "audit": audit_page,
}
"""name -> function(page, base_url) that brings the page to what the picture shows."""


def demo_app(workdir: Path, plugins: int = 60):
    """An app on a fresh SQLite file with demo plugins and an ``admin`` login."""
    from flask_migrate import upgrade

    from plugin_admin import create_app
    from plugin_admin.cli import save_user
    from plugin_admin.demo import seed

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'screens.sqlite3'}",
            "SECRET_KEY": "screenshots",
            "CACHE_TYPE": "SimpleCache",
        }
    )
    with app.app_context():
        upgrade()
        seed(plugins)
        save_user("admin", "admin", PASSWORD)
    return app


def main(names) -> None:
    from tests.browser.server import chromium, live_server, log_in

    with tempfile.TemporaryDirectory() as tmp:
        app = demo_app(Path(tmp))
        with app.app_context(), live_server(app) as base_url, chromium() as browser:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
            page = context.new_page()
            page.goto(f"{base_url}/login")
            log_in(page, base_url, "admin", PASSWORD)
            for name in names or SCREENS:
                SCREENS[name](page, base_url)
                print(shoot(page, name).relative_to(ROOT))
            context.close()
        with app.app_context():
            from plugin_admin.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
