"""The dashboard in headless Chromium: it fits the window, its bars are drawn, a bar opens its list."""

import pytest

from tests.browser.server import log_in
from tests.factories import plugin, raw_prompt
from tests.helpers import PASSWORD


@pytest.mark.parametrize("width", (1280, 390))
def test_the_dashboard_fits_and_a_bar_leads_to_its_prompts(app_context, users, new_context, live_server, width):
    plugin("alpha", prompt={"provider": "anthropic", "model": "claude-haiku-4-5", "temperature": 0.3})
    plugin("beta")
    plugin("a_long_plugin_name_for_a_phone_to_show_whole", prompt=False)  # 44 of the 50 allowed
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


@pytest.mark.parametrize("width", (1366, 390))
def test_the_histogram_axis_labels_and_counts_do_not_run_together(app_context, users, new_context, live_server, width):
    for index in range(21):  # one prompt in each temperature bucket, 0.0 to 2.0
        plugin(f"p{index}", prompt={"temperature": index / 10, "max_completion_tokens": 1000 + index})
    page = new_context().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "viewer", PASSWORD)
    page.goto(f"{live_server}/admin/")
    for part in (".column-label", ".column-value"):
        shown = page.locator(f".columns[aria-label='Prompts by temperature'] {part}").evaluate_all(
            "spans => spans.filter(s => getComputedStyle(s).visibility !== 'hidden' && s.textContent.trim())"
            ".map(s => { const r = s.getBoundingClientRect(); return [s.textContent.trim(), r.left, r.right]; })"
        )
        assert len(shown) >= 11 and shown[0][0] in ("0.0", "1") and shown[-1][0] in ("2.0", "1")
        gaps = [left - right for (_, _, right), (_, left, _) in zip(shown, shown[1:], strict=False)]
        assert min(gaps) >= 2, (part, shown)  # a visible gap between neighbours
