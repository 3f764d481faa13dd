"""The dashboard's pictures for the docs: ``python -m tests.browser.dashboard_screen`` writes
docs/screenshots/dashboard.png and, at a phone's width, dashboard-phone.png (its temperature
and token charts: the axis labels a phone has least room for).

Reuses ``screens`` (demo app, login, shot) and adds what a dashboard is for: a few
thousand plugins edited over the past weeks, and prompts an older catalog let through.
"""

import random
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.browser.screens import OUT, PASSWORD, ROOT, demo_app, shoot
from tests.browser.server import chromium, live_server, log_in

PLUGINS = 3000
LEGACY = (
    ("openai", "gpt-4-32k", 0.7, 4096),
    ("openai", "gpt-4-32k", 0.2, 2048),
    ("openai", "gpt-3.5-turbo", 0.5, 8192),
    ("openai", "o3", 0.3, 4096),
    ("anthropic", "claude-haiku-4-5", 1.3, 1024),
    ("palm", "text-bison-001", 0.4, 1024),
)
"""(provider, model, temperature, max_completion_tokens) that today's catalog refuses."""


def legacy_prompts() -> None:
    from plugin_admin.models import PluginSelector
    from tests.factories import plugin, raw_prompt

    for index, (provider, model, temperature, tokens) in enumerate(LEGACY):
        record = plugin(f"legacy_{index}_{model}"[:50], prompt=False, selector=False)  # Smarter: names of 50 at most
        record.plugin_selector_plugin = PluginSelector(directive="llm")
        raw_prompt(record.id, provider=provider, model=model, temperature=temperature, max_completion_tokens=tokens)


def spread_over_weeks(rng: random.Random) -> None:
    """Edits spread over 30 days, the latest few minutes ago, as on a real installation."""
    from plugin_admin.extensions import db
    from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector, utcnow
    from plugin_admin.models.gate import VALIDATED

    now = utcnow()
    for model in (PluginMeta, PluginSelector, PluginPrompt, PluginData):
        table = model.__table__
        ids = db.session.scalars(sa.select(table.c.id)).all()
        ages = [timedelta(minutes=rng.randint(60, 30 * 24 * 60)) for _ in ids]
        for minutes, position in zip((2, 9, 17, 26), rng.sample(range(len(ages)), 4), strict=False):
            ages[position] = timedelta(minutes=minutes + rng.random())
        moved = [{"pk": pk, "at": now - age} for pk, age in zip(ids, ages, strict=True)]
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("pk")).values(updated_at=sa.bindparam("at")),
            moved,
            execution_options=VALIDATED,  # timestamps only: no rule to break
        )
    db.session.commit()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = demo_app(Path(tmp), plugins=PLUGINS)
        with app.app_context(), live_server(app) as base_url, chromium() as browser:
            legacy_prompts()
            spread_over_weeks(random.Random(7))
            for name, width, height in (("dashboard", 1280, 900), ("dashboard-phone", 390, 844)):
                context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
                page = context.new_page()
                log_in(page, base_url, "admin", PASSWORD)
                page.goto(f"{base_url}/admin/")
                if width < 576:
                    charts = page.locator(".row:has(.columns)")
                    charts.screenshot(path=str(OUT / f"{name}.png"))
                    print((OUT / f"{name}.png").relative_to(ROOT))
                else:
                    print(shoot(page, name).relative_to(ROOT))
                context.close()
            from plugin_admin.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
