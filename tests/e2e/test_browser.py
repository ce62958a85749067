"""The chat page in a real browser (Debian's Chromium, driven by Playwright) against the real stack.

Covers issue 6: a whole conversation (and by keyboard only), reload and quick exit, axe-core
with no serious or critical violations, bot text never run as HTML, contrast, text size,
360 px layout, live region, focus, privacy note and sign-in state. Screenshots and the full
axe results are written to ``$CARECHAT_ARTIFACTS_DIR/browser`` (default ``var/artifacts/browser``).

The assertions hold for any trained model: they need a knowledge answer with a Source line
and related-topic buttons, which every model trained on our data gives for "what is an sgo".
"""
from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from tests.e2e import browser as b

pytestmark = pytest.mark.e2e

playwright_sync = pytest.importorskip("playwright.sync_api")

EXIT_HOST = "www.bbc.co.uk"
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Weather</h1>"
QUESTION = "what is an sgo"
REPLY_TIMEOUT_MS = 30_000
XSS = "<img src=x onerror=alert(1)>"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def chromium():
    if not b.CHROMIUM.exists():
        pytest.fail(f"{b.CHROMIUM} is missing: run scripts/ensure-chromium (make test does this)")
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(b.CHROMIUM), headless=True, args=b.LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def base_url(stack, stack_settings) -> str:
    return f"http://127.0.0.1:{stack_settings.gateway_port}"


class Tab:
    """One fresh browser context and page, recording every request host and every dialog."""

    def __init__(self, chromium, base_url: str, viewport: dict) -> None:
        self.base_url = base_url
        self.context = chromium.new_context(viewport=viewport)
        # Quick exit leaves for a neutral site; this network is closed, so answer for it here.
        self.context.route(f"https://{EXIT_HOST}/**", lambda route: route.fulfill(
            status=200, content_type="text/html", body=NEUTRAL_PAGE))
        self.page = self.context.new_page()
        self.page.set_default_timeout(REPLY_TIMEOUT_MS)
        self.hosts: set[str] = set()
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda request: self.hosts.add(urlparse(request.url).netloc))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self) -> None:
        self.page.goto(self.base_url + "/")
        self.page.wait_for_load_state("networkidle")

    def close(self) -> None:
        self.context.close()

    # -- reading the page
    def entries(self) -> list[dict]:
        return self.page.eval_on_selector_all(
            "#log > li",
            "items => items.map(li => ({cls: li.className, text: li.querySelector('.body').innerText}))",
        )

    def bot_entries(self) -> list[dict]:
        return [e for e in self.entries() if "bot" in e["cls"].split()]

    def reply_count(self) -> int:
        """Bot answers and error lines so far (what :meth:`wait_for_bot_entries` counts)."""
        return self.page.locator("#log > li.bot, #log > li.error").count()

    def wait_for_bot_entries(self, count: int) -> None:
        self.page.wait_for_function(
            "n => document.querySelectorAll('#log > li.bot, #log > li.error').length >= n "
            "&& document.getElementById('typing').hidden", arg=count)

    def focused(self) -> dict:
        return self.page.evaluate("""() => {
            const el = document.activeElement;
            return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || '').trim(),
                    cls: el.className, inQuickReplies: !!el.closest('.quick-replies'),
                    outline: getComputedStyle(el).outlineStyle};
        }""")

    def tab_until(self, predicate, limit: int = 80) -> dict:
        """Press Tab until the focused element matches; returns it."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            current = self.focused()
            if predicate(current):
                return current
        raise AssertionError("Tab never reached the element")

    def session_storage(self) -> dict:
        return self.page.evaluate("() => Object.assign({}, window.sessionStorage)")


@pytest.fixture()
def tab(chromium, base_url):
    opened = Tab(chromium, base_url, b.DESKTOP)
    yield opened
    opened.close()


@pytest.fixture()
def phone_tab(chromium, base_url):
    opened = Tab(chromium, base_url, b.PHONE)
    yield opened
    opened.close()


def ask_question(tab: Tab) -> None:
    """Choose who you are and ask the question, with the mouse."""
    tab.page.get_by_role("button", name="I'm a young person in care").click()
    tab.page.get_by_label("Type your question").fill(QUESTION)
    tab.page.get_by_role("button", name="Send").click()
    tab.wait_for_bot_entries(1)


def last_bot_with_source(tab: Tab):
    answer = tab.page.locator("#log > li.bot").filter(has=tab.page.locator(".source")).last
    answer.wait_for()
    return answer


# ---------------------------------------------------------------- the conversation

def test_conversation_reload_and_quick_exit(tab: Tab):
    page = tab.page
    tab.open()
    assert page.get_by_role("heading", name="Who are you?").is_visible()
    b.screenshot(page, "start-desktop")

    ask_question(tab)
    answer = last_bot_with_source(tab)
    assert answer.locator(".source").inner_text().startswith("Source")
    assert "guardian" in answer.inner_text().lower()
    assert page.locator("#log time").count() >= 2  # every message shows when it was said

    # A related topic as a quick reply: its title is shown as what the person said, and it
    # gets its own answer with a source line.
    before = tab.reply_count()
    quick = answer.locator(".quick-replies button").first
    title = quick.inner_text()
    quick.click()
    tab.wait_for_bot_entries(before + 1)
    user_said = [e["text"] for e in tab.entries() if "user" in e["cls"].split()]
    assert user_said == [QUESTION, title]
    page.locator("#log > li.bot .source").nth(1).wait_for()
    b.screenshot(page, "conversation-desktop")

    # The live region announced the answer to screen readers.
    assert "Source" in page.locator("#announcer").inner_text()

    # Reload in the same tab: the conversation and the choice are still there.
    shown = tab.entries()
    page.reload()
    page.wait_for_load_state("networkidle")
    assert tab.entries() == shown
    assert page.locator("#who").input_value() == "in_care"
    assert page.locator("#chat").is_visible()

    # Nothing left the machine: every request went to the gateway.
    assert tab.hosts == {urlparse(tab.base_url).netloc}
    assert not tab.console_errors

    # Quick exit: leaves at once for a neutral site and the browser keeps nothing.
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(f"https://{EXIT_HOST}/**")
    assert tab.session_storage() == {}
    page.goto(tab.base_url + "/")
    page.wait_for_load_state("networkidle")
    assert tab.session_storage() == {} or "carechat.conversation" not in tab.session_storage()
    assert tab.entries() == []
    assert page.get_by_role("heading", name="Who are you?").is_visible()


def test_conversation_by_keyboard_only(tab: Tab):
    page = tab.page
    tab.open()
    # The skip link comes first, then the two urgent controls.
    assert tab.tab_until(lambda f: True)["cls"] == "skip-link"
    assert tab.tab_until(lambda f: True)["id"] == "help-now"
    assert tab.tab_until(lambda f: True)["id"] == "quick-exit"

    choice = tab.tab_until(lambda f: f["text"] == "I'm a young person in care")
    assert choice["outline"] != "none"  # focus is visible
    page.keyboard.press("Enter")
    assert tab.focused()["id"] == "message"  # focus moves straight to the message box
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    tab.wait_for_bot_entries(1)
    answer = last_bot_with_source(tab)
    assert tab.focused()["id"] == "message"  # the reply did not steal focus

    before = tab.reply_count()
    quick = tab.tab_until(lambda f: f["inQuickReplies"])
    assert quick["outline"] != "none"
    page.keyboard.press("Enter")
    tab.wait_for_bot_entries(before + 1)
    assert page.locator("#log > li.bot .source").count() >= 2
    assert answer.is_visible()

    # Shift+Tab back to quick exit, and Enter leaves.
    for _ in range(120):
        page.keyboard.press("Shift+Tab")
        if tab.focused()["id"] == "quick-exit":
            break
    else:
        raise AssertionError("quick exit not reachable with Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"https://{EXIT_HOST}/**")
    assert tab.session_storage() == {}


def test_start_again_clears_and_returns_focus(tab: Tab):
    page = tab.page
    tab.open()
    ask_question(tab)
    page.get_by_role("button", name="Start again").click()
    assert tab.entries() == []
    assert "carechat.conversation" not in tab.session_storage()
    assert page.get_by_role("heading", name="Who are you?").is_visible()
    assert tab.focused()["id"] == "start-heading"
    page.reload()
    assert tab.entries() == []


def test_get_help_now_gives_the_safety_reply(tab: Tab):
    page = tab.page
    tab.open()
    page.get_by_role("button", name="Get help now").click()  # works before choosing who you are
    tab.wait_for_bot_entries(1)
    text = page.locator("#log").inner_text()
    assert "999" in text
    assert "0800 1111" in text
    # Phone numbers are links a phone can call.
    assert page.locator('#log a[href="tel:999"]').count() >= 1
    assert page.locator('#log a[href="tel:08001111"]').count() >= 1


# ---------------------------------------------------------------- accessibility

def test_axe_start_screen_and_mid_conversation(tab: Tab, phone_tab: Tab):
    summary = {}
    tab.open()
    results = b.run_axe(tab.page, "start-desktop")
    summary["start-desktop"] = b.violations_by_impact(results)

    ask_question(tab)
    last_bot_with_source(tab)
    results = b.run_axe(tab.page, "conversation-desktop")
    summary["conversation-desktop"] = b.violations_by_impact(results)

    phone_tab.open()
    summary["start-360"] = b.violations_by_impact(b.run_axe(phone_tab.page, "start-360"))
    ask_question(phone_tab)
    last_bot_with_source(phone_tab)
    summary["conversation-360"] = b.violations_by_impact(b.run_axe(phone_tab.page, "conversation-360"))

    (b.artifacts_dir() / "axe-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    blocking = {name: {impact: rules for impact, rules in found.items() if impact in b.AXE_BLOCKING}
                for name, found in summary.items()}
    assert all(not found for found in blocking.values()), blocking


def test_text_contrast_meets_wcag_aa(tab: Tab):
    page = tab.page
    tab.open()
    assert b.low_contrast_text(page) == []
    ask_question(tab)
    last_bot_with_source(tab)
    replies = tab.reply_count()
    page.get_by_role("button", name="Get help now").click()
    tab.wait_for_bot_entries(replies + 1)
    assert b.low_contrast_text(page) == []
    # Non-text contrast (1.4.11): control edges and the focus ring against what is next to them.
    colours = page.evaluate("""() => {
        const s = getComputedStyle(document.documentElement);
        const v = n => s.getPropertyValue(n).trim();
        return {border: v('--border'), paper: v('--paper'), white: v('--white'), navy: v('--navy'),
                yellow: v('--yellow'), ink: v('--ink'), red: v('--red')};
    }""")
    rgb = {name: _hex(value) for name, value in colours.items()}
    assert b.contrast(rgb["border"], rgb["paper"]) >= 3
    assert b.contrast(rgb["border"], rgb["white"]) >= 3
    assert b.contrast(rgb["navy"], rgb["white"]) >= 3
    assert b.contrast(rgb["yellow"], rgb["navy"]) >= 3  # focus ring inside the header
    assert b.contrast(rgb["ink"], rgb["paper"]) >= 3  # focus ring's dark edge on the page
    assert b.contrast(rgb["red"], rgb["white"]) >= 4.5


def _hex(value: str) -> tuple[float, float, float]:
    value = value.lstrip("#")
    return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))


def test_labelled_controls_and_live_region(tab: Tab):
    page = tab.page
    tab.open()
    for name in ("Get help now", "I'm a young person in care", "I've left care",
                 "I'm a parent or carer", "I'm a professional"):
        assert page.get_by_role("button", name=name).is_visible()
    assert page.get_by_role("link", name="Quick exit").is_visible()
    assert page.get_by_role("group", name="Text size").is_visible()
    page.get_by_role("button", name="I've left care").click()
    for label in ("Type your question", "Answers are written for"):
        assert page.get_by_label(label).is_visible()
    assert page.locator("#announcer").get_attribute("aria-live") == "polite"
    assert not page.get_by_label("Use simpler words").is_visible()  # only for a young person in care
    page.get_by_label("Answers are written for").select_option("in_care")
    assert page.get_by_label("Use simpler words").is_visible()


def test_simpler_words_and_choices_set_the_audience(tab: Tab):
    page = tab.page
    tab.open()
    sent: list[dict] = []
    page.on("request", lambda r: r.url.endswith("/api/chat") and sent.append(json.loads(r.post_data)))
    page.get_by_role("button", name="I'm a young person in care").click()
    page.get_by_label("Use simpler words").check()
    page.get_by_label("Type your question").fill(QUESTION)
    page.keyboard.press("Enter")
    tab.wait_for_bot_entries(1)
    for who, audience in (("left_care", "young_person"), ("parent", "parent"), ("professional", "parent")):
        page.get_by_label("Answers are written for").select_option(who)
        page.get_by_label("Type your question").fill(QUESTION)
        replies = tab.reply_count()
        page.keyboard.press("Enter")
        tab.wait_for_bot_entries(replies + 1)
    assert [s["audience"] for s in sent] == ["child", "young_person", "parent", "parent"]


def test_text_size_control(tab: Tab):
    page = tab.page
    tab.open()
    size = lambda: page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")  # noqa: E731
    normal = size()
    page.get_by_role("button", name="A largest").click()
    assert size() == pytest.approx(normal * 1.5, rel=0.02)
    assert page.get_by_role("button", name="A largest").get_attribute("aria-pressed") == "true"
    page.reload()
    assert size() == pytest.approx(normal * 1.5, rel=0.02)  # kept for the tab session
    page.get_by_role("button", name="A normal").click()
    assert size() == pytest.approx(normal, rel=0.02)


def test_phone_width_layout(phone_tab: Tab):
    page = phone_tab.page
    phone_tab.open()
    no_sideways_scroll = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll)
    b.screenshot(page, "start-360")
    ask_question(phone_tab)
    last_bot_with_source(phone_tab)
    assert page.evaluate(no_sideways_scroll)
    b.screenshot(page, "conversation-360")
    # Scrolled to the end, the urgent buttons are still on screen.
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    for control in (page.get_by_role("button", name="Get help now"), page.get_by_role("link", name="Quick exit")):
        box = control.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= b.PHONE["height"]
        assert box["width"] >= 24 and box["height"] >= 24  # WCAG 2.5.8 target size
    # Largest text still fits a 360 px screen.
    page.get_by_role("button", name="A largest").click()
    assert page.evaluate(no_sideways_scroll)
    b.screenshot(page, "conversation-360-largest-text")


def test_privacy_note(tab: Tab, stack_settings):
    tab.open()
    note = tab.page.locator("footer.privacy").inner_text()
    days = max(1, int(-(-stack_settings.retention_days // 1)))
    assert f"{days} days" in note
    assert "computer program" in note
    assert "No person reads this chat" in note
    assert "{{" not in tab.page.content()


# ---------------------------------------------------------------- sign-in state

def test_demo_sign_in_state_visible_with_sign_out(tab: Tab):
    page = tab.page
    tab.open()
    assert page.get_by_role("heading", name="Demo sign-in").is_visible()
    assert not page.locator("#signed-in").is_visible()
    page.get_by_label("Try the demo as").select_option("DEMO-001")
    page.get_by_role("button", name="Sign in (demo)").click()
    status = page.locator("#signed-in-as")
    status.wait_for()
    assert status.inner_text().startswith("Signed in as Demo Dara")
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.reload()
    # The page asks the gateway who is signed in after it loads: wait for that answer, not a race.
    page.wait_for_function("() => (document.querySelector('#signed-in-as') || {}).innerText", timeout=10_000)
    assert page.locator("#signed-in-as").inner_text().startswith("Signed in as Demo Dara")
    page.get_by_role("button", name="Sign out").click()
    page.locator("#signed-in").wait_for(state="hidden")
    assert page.get_by_role("heading", name="Demo sign-in").is_visible()


def test_no_demo_sign_in_outside_demo_mode(tab: Tab):
    page = tab.page
    tab.page.route("**/api/session", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"signed_in": False, "display_name": None, "demo_mode": False, "audience": None})))
    tab.open()
    assert not page.locator("#demo").is_visible()
    assert not page.locator("#signed-in").is_visible()


# ---------------------------------------------------------------- bot text is never HTML

def test_bot_reply_with_markup_is_shown_as_text_and_runs_nothing(tab: Tab):
    page = tab.page
    reply = {"messages": [{
        "text": f"Look: {XSS}\n- <script>window.__owned = 1</script>\nSource: <b>bold</b>",
        "buttons": [{"title": f"{XSS} button", "payload": "/greet"}],
    }]}
    page.route("**/api/chat", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(reply)))
    tab.open()
    ask_question(tab)
    log = page.locator("#log")
    assert XSS in log.inner_text()
    assert "<script>window.__owned = 1</script>" in log.inner_text()
    assert page.locator("#log img, #log script, #log b").count() == 0
    assert page.get_by_role("button", name=f"{XSS} button").is_visible()
    page.wait_for_timeout(500)
    assert tab.dialogs == []
    assert page.evaluate("() => window.__owned") is None
    # Also after a reload from sessionStorage.
    page.reload()
    page.wait_for_timeout(300)
    assert XSS in page.locator("#log").inner_text()
    assert page.locator("#log img").count() == 0
    assert tab.dialogs == []


def test_error_text_with_markup_is_shown_as_text(tab: Tab):
    page = tab.page
    page.route("**/api/chat", lambda route: route.fulfill(
        status=502, content_type="application/json", body=json.dumps({"error": f"Sorry {XSS}"})))
    tab.open()
    ask_question(tab)
    assert f"Sorry {XSS}" in page.locator("#log li.error").inner_text()
    assert page.locator("#log img").count() == 0
    page.wait_for_timeout(300)
    assert tab.dialogs == []


def test_a_dropped_message_is_resent_as_the_same_turn_and_answered_once(tab: Tab):
    """The connection drops on the first send: the page resends the same turn (same turn id,
    attempt 2) and shows the one answer, with no error in between."""
    page = tab.page
    posted: list[dict] = []

    def handle(route):
        posted.append(json.loads(route.request.post_data or "{}"))
        if len(posted) == 1:
            route.abort()
        else:
            route.fulfill(status=200, content_type="application/json",
                          body=json.dumps({"messages": [{"text": "The one answer."}]}))

    page.route("**/api/chat", handle)
    tab.open()
    ask_question(tab)
    assert [p["attempt"] for p in posted] == [1, 2]
    assert posted[0]["turn_id"] == posted[1]["turn_id"] and len(posted[0]["turn_id"]) >= 16
    assert page.locator("#log li.error").count() == 0
    assert page.locator("#log > li.bot").last.inner_text().endswith("The one answer.")
    # The next message is a new turn.
    page.get_by_label("Type your question").fill("and another")
    page.get_by_role("button", name="Send").click()
    tab.wait_for_bot_entries(2)
    assert posted[-1]["turn_id"] != posted[0]["turn_id"] and posted[-1]["attempt"] == 1


def test_network_failure_still_shows_where_to_get_help(tab: Tab):
    page = tab.page
    page.route("**/api/chat", lambda route: route.abort())
    tab.open()
    ask_question(tab)
    text = page.locator("#log li.error").inner_text()
    assert "999" in text and "0800 1111" in text


def test_order_answer_offers_follow_ups_that_answer_in_a_bite_at_phone_width(phone_tab: Tab):
    """The buttons under an order's answer ask one follow-up each; the reply is one short fact."""
    page = phone_tab.page
    phone_tab.open()
    ask_question(phone_tab)
    last_bot_with_source(phone_tab)
    b.screenshot(page, "answer-360")
    page.get_by_role("button", name="How long it lasts").last.click()
    phone_tab.wait_for_bot_entries(2)
    follow_up = page.locator("#log > li.bot").last
    assert "\nSpecial guardianship order. How long it lasts:" in follow_up.inner_text()  # after "CareChat hh:mm"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    b.screenshot(page, "follow-up-360")
