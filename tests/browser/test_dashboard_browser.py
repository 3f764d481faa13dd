"""The dashboard in headless Chromium: it fits the window, its bars are drawn, a bar opens its list."""

import pytest

from tests.browser.server import log_in
from tests.factories import plugin, raw_prompt
from tests.helpers import PASSWORD


@pytest.mark.parametrize("width", (1280, 420))
def test_the_dashboard_fits_and_a_bar_leads_to_its_prompts(app_context, users, new_context, live_server, width):
    plugin("alpha", prompt={"provider": "anthropic", "model": "claude-haiku-4-5", "temperature": 0.3})
    plugin("beta")
    raw_prompt(plugin("retired", prompt=False).id, model="gpt-4-32k")
    page = new_context().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "viewer", PASSWORD)
    page.goto(f"{live_server}/admin/")

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    drawn = page.locator(".hbar-track rect").evaluate_all("rects => rects.map(r => r.getBBox().width)")
    assert drawn and all(w > 0 for w in drawn)
    assert page.locator(".column-bar rect").count() > 0
    assert page.locator("#catalog-rules").inner_text().count("gpt-4-32k") == 2  # grouped, and the newest offender

    page.locator(".hbars[aria-label='Prompts by provider'] a", has_text="anthropic").click()
    page.wait_for_load_state()
    assert "flt0_provider_equals=anthropic" in page.url
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and "alpha" in rows.first.inner_text()
