"""The web widget in a real browser (Debian's Chromium via Playwright), on a fake council site.

Three sites, as in real life: the gateway at ``http://127.0.0.1:<port>`` (with a fake Rasa, no
trained model needed), the council's site at ``http://localhost:<port>`` (configured in
``CARECHAT_EMBED_ORIGINS``; a different host, so the iframe is cross-site and the gateway's
cookie would be a third-party one) serving pages with their own strict CSP that allows only the
two lines docs/embedding.md asks for, and a site nobody configured at ``http://localhost:<other>``.
Skipped where there is no Chromium. Screenshots and axe results go to ``var/artifacts/browser``.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Optional

import pytest
from aiohttp import web

from bot.gateway import create_app
from bot.personal.identity import verify_token
from bot.personal.portal_signin import mint_signin_token
from bot.settings import Settings, load_settings
from tests.e2e import browser as b
from tests.unit.gateway_fakes import FakeRasa, NoSignal

SECRET = "widget-browser-test-secret-that-is-long-enough-0123456789"
CASE_REF = "WIDGET-42"
NAME = "Robin"
REPLY = "Hello from the pretend CareChat."
EXIT_URL = "https://www.bbc.co.uk/weather"
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Weather</h1>"
WIDGET_LABEL = "Talk to CareChat"
TIMEOUT_MS = 10_000


def council_csp(gateway: str) -> str:
    """A council's own strict policy, plus exactly the two lines docs/embedding.md asks for."""
    return (
        "default-src 'self'; "
        f"script-src 'self' {gateway}; "   # line 1: the widget script
        f"frame-src {gateway}; "           # line 2: the chat panel
        "style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'"
    )


COUNCIL_JS = """
document.getElementById('portal-open').addEventListener('click', function () {
  fetch('/token').then(function (r) { return r.json(); }).then(function (data) {
    window.postMessage({type: 'carechat:signin', token: data.token}, window.location.origin);
  });
});
"""


class Sites:
    """Fake Rasa, the gateway, the council's site and a site nobody configured, in one thread of their own
    (Playwright's sync API cannot run inside the test's event loop)."""

    def __init__(self) -> None:
        self.rasa = FakeRasa(REPLY)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners: list[web.AppRunner] = []
        self.settings: Optional[Settings] = None
        self.gateway = self.council = self.elsewhere = ""
        self.widget_attrs = f'data-label="{WIDGET_LABEL}" data-colour="#005a9c"'

    async def _serve(self, app: web.Application) -> int:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.runners.append(runner)
        return runner.addresses[0][1]

    async def _start(self) -> None:
        rasa = web.Application()
        rasa.router.add_post("/webhooks/rest/webhook", self.rasa.webhook)
        rasa_port = await self._serve(rasa)
        council_port = await self._serve(self._council_app())
        elsewhere_port = await self._serve(self._elsewhere_app())
        self.council = f"http://localhost:{council_port}"
        self.elsewhere = f"http://localhost:{elsewhere_port}"
        self.settings = load_settings({
            "RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "CARECHAT_TOKEN_SECRET": SECRET,
            "CARECHAT_DEMO_MODE": "false",
            "CARECHAT_COUNCIL": "calderdale",
            "CARECHAT_RATE_LIMIT_PER_ADDRESS": "100000",
            "CARECHAT_EMBED_ORIGINS": self.council,
        })
        gateway_port = await self._serve(create_app(self.settings, matcher=NoSignal()))
        self.gateway = f"http://127.0.0.1:{gateway_port}"

    # -- the council's site
    def _page(self, title: str, attrs: str, extra: str = "") -> str:
        return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: Children in care, Anytown Council</title>
<link rel="stylesheet" href="/council.css">
<script src="{self.gateway}/static/widget.js" {attrs} defer></script>
<script src="/council.js" defer></script></head>
<body><header><p>Anytown Council</p><nav aria-label="Council"><a href="/">Home</a> <a href="/other">Local offer</a></nav></header>
<main><h1>{title}</h1><p>Information for children and young people in care.</p>
<p><label for="search">Search the site</label> <input id="search" type="search"></p>
<button type="button" id="portal-open">Open CareChat, signed in</button>{extra}</main>
<footer><p>Anytown Council</p></footer></body></html>"""

    def _council_app(self) -> web.Application:
        def html(text: str) -> web.Response:
            response = web.Response(text=text, content_type="text/html")
            response.headers["Content-Security-Policy"] = council_csp(self.gateway)
            return response

        async def home(request: web.Request) -> web.Response:
            return html(self._page("Being in care", self.widget_attrs))

        async def other(request: web.Request) -> web.Response:
            return html(self._page("Local offer", self.widget_attrs))

        async def with_token(request: web.Request) -> web.Response:
            token = mint_signin_token(CASE_REF, self.settings, name=NAME)
            return html(self._page("Your portal", f'{self.widget_attrs} data-signin-token="{token}"'))

        async def token(request: web.Request) -> web.Response:
            return web.json_response({"token": mint_signin_token(CASE_REF, self.settings, name=NAME)})

        async def script(request: web.Request) -> web.Response:
            return web.Response(text=COUNCIL_JS, content_type="application/javascript")

        async def styles(request: web.Request) -> web.Response:
            # A common council pattern (62.5% root) that must not shrink the widget's text.
            return web.Response(text="html{font-size:62.5%}body{font-family:Georgia,serif;font-size:1.6rem;"
                                     "margin:1rem 2rem;color:#222;background:#fff}",
                                content_type="text/css")

        app = web.Application()
        app.router.add_get("/", home)
        app.router.add_get("/other", other)
        app.router.add_get("/portal", with_token)
        app.router.add_get("/token", token)
        app.router.add_get("/council.js", script)
        app.router.add_get("/council.css", styles)
        return app

    # -- a site nobody configured
    def _elsewhere_app(self) -> web.Application:
        async def frames(request: web.Request) -> web.Response:
            council = self.council.replace(":", "%3A").replace("/", "%2F")
            own = self.elsewhere.replace(":", "%3A").replace("/", "%2F")
            return web.Response(content_type="text/html", text=f"""<!doctype html><html lang="en"><title>Elsewhere</title>
<iframe id="as-council" title="a" src="{self.gateway}/embed?origin={council}"></iframe>
<iframe id="as-itself" title="b" src="{self.gateway}/embed?origin={own}"></iframe>
<iframe id="full-page" title="c" src="{self.gateway}/"></iframe></html>""")

        async def widget(request: web.Request) -> web.Response:
            return web.Response(content_type="text/html", text=f"""<!doctype html><html lang="en"><title>Elsewhere</title>
<script src="{self.gateway}/static/widget.js" defer></script><main><h1>Not a council page</h1></main></html>""")

        async def blank(request: web.Request) -> web.Response:
            return web.Response(content_type="text/html", text="<!doctype html><html lang='en'><title>Elsewhere</title><h1>x</h1></html>")

        app = web.Application()
        app.router.add_get("/frames", frames)
        app.router.add_get("/widget", widget)
        app.router.add_get("/", blank)
        return app

    def __enter__(self) -> "Sites":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)
        return self

    def __exit__(self, *exc: object) -> None:
        for runner in reversed(self.runners):
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def world():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not b.CHROMIUM.exists():
        pytest.skip(f"{b.CHROMIUM} is missing (scripts/ensure-chromium installs it)")
    with Sites() as sites, sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(b.CHROMIUM), headless=True, args=b.LAUNCH_ARGS)
        try:
            yield chromium, sites, pw
        finally:
            chromium.close()


#: The panel has closed and its "close" handler has run: the dialog's close event comes a task
#: after ``dialog.open`` turns false, and the handler is what resets the launcher and its focus.
CLOSED_AND_HANDED_BACK = ("() => { const root = document.querySelector('carechat-widget').shadowRoot;"
                          " return !root.querySelector('dialog').open"
                          " && root.querySelector('.launch').getAttribute('aria-expanded') === 'false'; }")


class Tab:
    """A fresh browser profile on a council page; records console complaints (CSP refusals show there)."""

    def __init__(self, chromium: Any, sites: Sites, viewport: dict = b.DESKTOP) -> None:
        self.sites = sites
        self.context = chromium.new_context(viewport=viewport)
        self.context.route(f"{EXIT_URL}**", lambda route: route.fulfill(
            status=200, content_type="text/html", body=NEUTRAL_PAGE))
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.complaints: list[str] = []
        self.watch(self.page)

    def watch(self, page: Any) -> None:
        page.on("console", lambda msg: msg.type in ("error", "warning") and self.complaints.append(msg.text))
        page.on("pageerror", lambda error: self.complaints.append(str(error)))

    def open_council(self, path: str = "/") -> None:
        self.page.goto(self.sites.council + path)
        self.page.locator("carechat-widget .launch").wait_for()

    # -- the widget, from the council page
    @property
    def launcher(self):
        return self.page.locator("carechat-widget .launch")

    def dialog_open(self) -> bool:
        return self.page.evaluate("() => document.querySelector('carechat-widget').shadowRoot.querySelector('dialog').open")

    def open_panel(self) -> Any:
        self.launcher.click()
        return self.chat_frame()

    def chat_frame(self) -> Any:
        return ready_frame(self.page)

    def focus(self) -> str:
        """What has focus on the council page: 'widget:<class or tag>' inside the widget, else the element's tag/id."""
        return self.page.evaluate("""() => {
            const a = document.activeElement;
            const w = document.querySelector('carechat-widget');
            if (w && a === w) {
                const inner = w.shadowRoot.activeElement;
                return 'widget:' + (inner ? (inner.className || inner.tagName.toLowerCase()) : 'none');
            }
            return a ? (a.tagName.toLowerCase() + (a.id ? '#' + a.id : '')) : 'none';
        }""")

    def settled_focus(self) -> str:
        """:meth:`focus` once it has settled: moving into the cross-site frame (another process) takes a moment."""
        deadline = time.monotonic() + 2
        where = self.focus()
        while where == "body" and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
            where = self.focus()
        return where

    def left_behind(self) -> dict:
        """What the council's site holds in this tab: its storage and cookies (cookies of every site, too)."""
        stored = self.page.evaluate("""() => ({local: Object.assign({}, localStorage),
                                              session: Object.assign({}, sessionStorage),
                                              cookie: document.cookie})""")
        stored["all_cookies"] = self.context.cookies()
        return stored

    def close(self) -> None:
        self.context.close()


def chat(frame: Any, text: str = "what is a care plan") -> None:
    if frame.is_visible("#start"):
        frame.click("text=I'm a young person in care")
    frame.fill("#message", text)
    frame.click("#send")
    frame.wait_for_selector(f"#log li.msg.bot:has-text('{REPLY}')")


@pytest.fixture
def tab(world):
    chromium, sites, _ = world
    opened = Tab(chromium, sites)
    yield opened
    opened.close()


NOTHING_LEFT = {"local": {}, "session": {}, "cookie": "", "all_cookies": []}


# ---------------------------------------------------------------- open, chat, close

def test_widget_opens_chats_and_escape_closes_it_with_focus_back_on_the_launcher(tab: Tab, world) -> None:
    sites = world[1]
    tab.open_council()
    assert tab.launcher.text_content() == WIDGET_LABEL
    b.screenshot(tab.page, "widget-launcher")
    before = len(sites.rasa.received)

    frame = tab.open_panel()
    assert tab.dialog_open()
    assert tab.focus() == "widget:close"  # focus moved into the panel
    dialog = tab.page.get_by_role("dialog", name="CareChat")
    assert dialog.is_visible()  # announced as a dialog, with a name
    assert tab.launcher.get_attribute("aria-expanded") == "true"
    chat(frame)
    assert len(sites.rasa.received) == before + 1
    b.screenshot(tab.page, "widget-open")

    frame.focus("#message")
    tab.page.keyboard.press("Escape")
    tab.page.wait_for_function(CLOSED_AND_HANDED_BACK)
    assert tab.focus() == "widget:launch"
    assert tab.launcher.get_attribute("aria-expanded") == "false"
    assert tab.left_behind() == NOTHING_LEFT  # no conversation, no cookie: not here, not anywhere

    frame = tab.open_panel()  # the conversation is still there in the panel
    assert frame.locator("#log li.msg.bot").count() == 1
    assert tab.complaints == []  # nothing the council's CSP (or CareChat's) refused


def frame_storage(frame: Any) -> Any:
    """Keys in the CareChat frame's own sessionStorage, or 'blocked' where the browser gives a
    third-party frame no storage (as Chromium does for these test profiles)."""
    return frame.evaluate("() => { try { return Object.keys(sessionStorage); } catch (e) { return 'blocked'; } }")


def frame_focus(frame: Any) -> str:
    """What has focus inside the CareChat frame (id, else text), or '' when nothing there has it."""
    return frame.evaluate("""() => {
        const a = document.activeElement;
        if (!a || a === document.body || !document.hasFocus()) return '';
        return a.id || (a.textContent || '').trim() || a.tagName.toLowerCase();
    }""")


def test_keyboard_only_open_chat_tab_stays_inside_and_escape_returns_focus(tab: Tab) -> None:
    tab.open_council()
    page = tab.page
    for _ in range(30):  # from the top of the council page to the launcher, by Tab alone
        page.keyboard.press("Tab")
        if tab.focus() == "widget:launch":
            break
    else:
        raise AssertionError("Tab never reached the launcher")
    page.keyboard.press("Enter")
    frame = tab.chat_frame()
    assert tab.focus() == "widget:close"

    # Into the chat, choose who you are, type and send: keyboard only.
    for _ in range(12):
        page.keyboard.press("Tab")
        if tab.settled_focus() == "widget:iframe" and frame_focus(frame) == "I'm a young person in care":
            break
    else:
        raise AssertionError("Tab never reached the first choice in the chat")
    page.keyboard.press("Enter")
    assert frame_focus(frame) == "message"
    page.keyboard.type("what is a care plan")
    page.keyboard.press("Enter")
    frame.wait_for_selector(f"#log li.msg.bot:has-text('{REPLY}')")

    # Tab through everything in the panel, twice round: focus never reaches the council page.
    seen_in_frame: list[str] = []
    came_back = 0
    for _ in range(80):
        page.keyboard.press("Tab")
        where = tab.settled_focus()
        assert where.startswith("widget:"), f"focus left the panel for {where}"
        if where == "widget:close":
            came_back += 1
            if came_back == 2:
                break
        else:
            assert where == "widget:iframe", where
            seen_in_frame.append(frame_focus(frame))
    assert came_back == 2, "Tab did not go round the panel"
    for control in ("help-now", "quick-exit", "message", "send", "delete-chat"):
        assert control in seen_in_frame

    # Shift+Tab from Close goes to the last control in the chat, not to the council page.
    page.keyboard.press("Shift+Tab")
    page.wait_for_function("() => document.activeElement === document.querySelector('carechat-widget')"
                           " && document.activeElement.shadowRoot.activeElement.tagName === 'IFRAME'")
    frame.wait_for_function("() => document.hasFocus() && document.activeElement !== document.body")
    assert frame_focus(frame) == seen_in_frame[-1]
    page.keyboard.press("Tab")  # and on round to Close again
    assert tab.settled_focus() == "widget:close"

    page.keyboard.press("Escape")
    page.wait_for_function(CLOSED_AND_HANDED_BACK)
    assert tab.focus() == "widget:launch"
    page.keyboard.press("Enter")  # and open again from there, the chat still there
    page.wait_for_function("() => document.querySelector('carechat-widget').shadowRoot.querySelector('dialog').open")
    assert tab.focus() == "widget:close"
    assert frame.locator("#log li.msg.bot").count() == 1
    assert page.url.startswith(tab.sites.council)
    assert tab.complaints == []


def test_escape_in_the_delete_question_only_closes_the_question(tab: Tab) -> None:
    tab.open_council()
    frame = tab.open_panel()
    chat(frame)
    frame.click("#delete-chat")
    tab.page.keyboard.press("Escape")
    assert frame.is_hidden("#delete-confirm")
    assert tab.dialog_open()  # the panel stays: that Escape belonged to the question


# ---------------------------------------------------------------- quick exit

def test_quick_exit_button_leaves_the_whole_tab_and_nothing_is_left(tab: Tab, world) -> None:
    sites = world[1]
    tab.open_council()
    frame = tab.open_panel()
    chat(frame)
    first_sender = sites.rasa.received[-1]["sender"]
    frame.click("#quick-exit")
    tab.page.wait_for_url(EXIT_URL)  # the whole tab, not just the frame
    assert tab.page.frames == [tab.page.main_frame]
    assert tab.page.title() == "Weather"
    tab.page.go_back()  # the council page was replaced, not left in history behind the exit
    assert not tab.page.url.startswith(tab.sites.council)

    tab.open_council()  # back on the council's site in the same tab: nothing there, nothing in the panel
    assert tab.left_behind() == NOTHING_LEFT
    frame = tab.open_panel()
    assert frame.locator("#log li").count() == 0
    assert frame_storage(frame) in ([], "blocked")  # the frame's own storage (if it may have any) is empty too
    chat(frame)
    assert sites.rasa.received[-1]["sender"] != first_sender  # the old conversation was ended on the server
    assert tab.complaints == []


def test_quick_exit_by_keyboard_and_by_escape_three_times(tab: Tab) -> None:
    tab.open_council()
    frame = tab.open_panel()
    frame.focus("#quick-exit")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(EXIT_URL)

    tab.open_council()
    frame = tab.open_panel()
    chat(frame)
    frame.focus("#message")
    for _ in range(3):  # the first closes the panel, the next two land on the council page
        tab.page.keyboard.press("Escape")
    tab.page.wait_for_url(EXIT_URL)
    tab.open_council()
    assert tab.left_behind() == NOTHING_LEFT
    assert tab.open_panel().locator("#log li").count() == 0


def test_one_escape_on_the_council_page_is_not_a_quick_exit(tab: Tab) -> None:
    tab.open_council()
    tab.page.focus("#search")
    for _ in range(3):  # the council page's own Escapes are the council's business
        tab.page.keyboard.press("Escape")
    tab.page.wait_for_timeout(300)
    assert tab.page.url.startswith(tab.sites.council)


# ---------------------------------------------------------------- signed in from the portal

def signed_in_as(frame: Any) -> str:
    frame.wait_for_selector("#signed-in:not([hidden])")
    return frame.text_content("#signed-in-as")


def token_case_ref(sites: Sites) -> Optional[str]:
    """Whose identity token went to Rasa with the last message (None: nobody signed in)."""
    token = sites.rasa.received[-1]["metadata"].get("carechat_token")
    return None if token is None else verify_token(token, sites.settings).case_ref


def test_portal_signin_by_message_from_the_council_page(tab: Tab, world) -> None:
    sites = world[1]
    tab.open_council()
    tab.page.click("#portal-open")  # the portal's own button: fetches a fresh token and posts it to the widget
    frame = tab.chat_frame()
    assert tab.dialog_open()
    assert signed_in_as(frame) == f"Signed in as {NAME}"
    chat(frame)
    assert token_case_ref(sites) == CASE_REF  # personal lookups work in the widget
    frame.click("#signout")
    frame.wait_for_selector("#signed-in", state="hidden")
    chat(frame)
    assert token_case_ref(sites) is None
    assert tab.left_behind() == NOTHING_LEFT
    assert tab.complaints == []


def test_portal_signin_by_attribute_leaves_no_token_in_the_page(tab: Tab, world) -> None:
    sites = world[1]
    tab.open_council("/portal")
    assert tab.page.evaluate("() => document.querySelector('script[data-signin-token]')") is None
    frame = tab.open_panel()
    assert signed_in_as(frame) == f"Signed in as {NAME}"
    chat(frame)
    assert token_case_ref(sites) == CASE_REF
    assert tab.left_behind() == NOTHING_LEFT


def test_a_used_token_signs_nobody_in_and_says_so_kindly(tab: Tab, world) -> None:
    sites = world[1]
    token = mint_signin_token(CASE_REF, sites.settings, name=NAME)
    tab.open_council()
    frame = tab.open_panel()
    tab.page.evaluate("t => window.postMessage({type: 'carechat:signin', token: t}, location.origin)", token)
    assert signed_in_as(frame) == f"Signed in as {NAME}"
    tab.page.evaluate("t => window.postMessage({type: 'carechat:signin', token: t}, location.origin)", token)
    frame.wait_for_selector("#portal-signin-notice")
    assert "run out or was already used" in frame.text_content("#portal-signin-notice")
    frame.wait_for_selector("#signed-in", state="hidden")  # whoever was signed in is signed out
    chat(frame)
    assert token_case_ref(sites) is None


# ---------------------------------------------------------------- other sites

def test_messages_from_another_site_are_ignored(tab: Tab, world) -> None:
    """A page elsewhere opens the council page and posts to it and into its CareChat frame: nothing happens."""
    sites = world[1]
    token = mint_signin_token(CASE_REF, sites.settings, name=NAME)
    elsewhere = tab.page
    elsewhere.goto(sites.elsewhere + "/")
    with tab.context.expect_page() as opened:
        elsewhere.evaluate("url => { window.council = window.open(url); }", sites.council + "/")
    council = opened.value
    tab.watch(council)
    council.locator("carechat-widget .launch").wait_for()

    elsewhere.evaluate("""t => {
        const w = window.council;
        for (const type of ['carechat:open', 'carechat:signin', 'carechat:quick-exit', 'carechat:ready']) {
            w.postMessage({type, token: t}, '*');
        }
    }""", token)
    council.wait_for_timeout(500)
    panel_open = "() => document.querySelector('carechat-widget').shadowRoot.querySelector('dialog').open"
    assert council.evaluate(panel_open) is False  # neither opened nor signed in
    assert council.evaluate("() => document.querySelector('carechat-widget').shadowRoot.querySelector('iframe')") is None

    council.locator("carechat-widget .launch").click()
    frame = ready_frame(council)
    # The frame lives in the widget's shadow root, so other windows cannot even reach it through window.frames.
    assert elsewhere.evaluate("() => window.council.frames.length") == 0
    council.wait_for_timeout(500)
    assert council.url.startswith(sites.council)  # no quick exit
    assert frame.is_hidden("#signed-in")
    chat(frame)
    assert token_case_ref(sites) is None

    # The same token, from the council page itself, still works: the foreign messages never used it.
    council.evaluate("t => window.postMessage({type: 'carechat:signin', token: t}, location.origin)", token)
    assert signed_in_as(frame) == f"Signed in as {NAME}"
    assert tab.complaints == []


def ready_frame(page: Any) -> Any:
    """The CareChat iframe once its page has told the widget it is ready (the widget shows it then)."""
    page.wait_for_function("""() => {
        const w = document.querySelector('carechat-widget');
        const f = w && w.shadowRoot.querySelector('iframe');
        return f && !f.hidden;
    }""")
    frame = next((f for f in page.frames if "/embed?" in f.url), None)
    assert frame is not None, [f.url for f in page.frames]
    return frame


FORGED = """([data, origin, from]) => {
    const source = from === 'parent' ? window.parent : from === 'frame'
        ? document.querySelector('carechat-widget').shadowRoot.querySelector('iframe').contentWindow : window;
    window.dispatchEvent(new MessageEvent('message', {data, origin, source}));
}"""


def test_each_side_takes_messages_only_from_the_other_sides_window_and_origin(tab: Tab, world) -> None:
    """Messages as another window or origin would send them (a forged origin or the wrong window),
    straight to the handlers: each is ignored; the same message from the right window and origin works."""
    sites = world[1]
    tab.open_council()
    frame = tab.open_panel()
    token = mint_signin_token(CASE_REF, sites.settings, name=NAME)
    signin = {"type": "carechat:signin", "token": token}
    # Into the CareChat frame: the right window with a foreign origin, the right origin from the wrong window.
    frame.evaluate(FORGED, [signin, sites.elsewhere, "parent"])
    frame.evaluate(FORGED, [signin, sites.council, "self"])
    frame.evaluate(FORGED, [{"type": "carechat:quick-exit"}, sites.elsewhere, "parent"])
    tab.page.wait_for_timeout(500)
    assert frame.is_hidden("#signed-in")
    chat(frame)  # quick exit did not clear the frame either
    assert frame.locator("#log li.msg.bot").count() == 1
    # Into the council page: CareChat's origin but not from its frame; the frame's window but another origin.
    tab.page.evaluate(FORGED, [{"type": "carechat:quick-exit"}, sites.gateway, "self"])
    tab.page.evaluate(FORGED, [{"type": "carechat:quick-exit"}, sites.elsewhere, "frame"])
    tab.page.evaluate(FORGED, [{"type": "carechat:escape"}, sites.elsewhere, "frame"])
    tab.page.evaluate(FORGED, [signin, sites.elsewhere, "self"])  # a token "from this page" with another origin
    tab.page.wait_for_timeout(500)
    assert tab.page.url.startswith(sites.council) and tab.dialog_open()
    assert frame.is_hidden("#signed-in")
    # The control: the same sign-in from the right window and origin is taken (so the handlers were reached).
    frame.evaluate(FORGED, [signin, sites.council, "parent"])
    assert signed_in_as(frame) == f"Signed in as {NAME}"


def test_a_site_not_configured_cannot_frame_carechat(tab: Tab, world) -> None:
    sites = world[1]
    refused: list[str] = []
    tab.page.on("console", lambda msg: refused.append(msg.text))
    tab.page.goto(sites.elsewhere + "/frames")
    tab.page.wait_for_load_state("load")
    for frame_id in ("as-council", "as-itself", "full-page"):
        frame = tab.page.frame_locator(f"#{frame_id}")
        # The browser shows its own error page instead: no chat, nothing CareChat drew.
        assert frame.locator("#message").count() == 0, frame_id
    urls = [f.url for f in tab.page.frames if f != tab.page.main_frame]
    assert len(urls) == 3 and all(url.startswith("chrome-error://") for url in urls), urls
    assert any("frame-ancestors" in text for text in refused)


def test_the_widget_on_a_site_not_configured_says_where_to_go_instead(tab: Tab, world) -> None:
    sites = world[1]
    tab.page.goto(sites.elsewhere + "/widget")
    tab.page.locator("carechat-widget .launch").click()
    fallback = tab.page.locator("carechat-widget div.fallback")
    fallback.wait_for(state="visible", timeout=TIMEOUT_MS)
    text = fallback.text_content()
    assert "can't open here" in text and "999" in text and "0800 1111" in text
    assert fallback.get_by_role("link", name="Open CareChat in a new tab").get_attribute("href") == sites.gateway + "/"
    assert tab.page.locator("carechat-widget [role=status]").is_hidden()  # no longer "Opening CareChat..."
    assert blocking(b.run_axe(tab.page, "widget-fallback")) == {}


# ---------------------------------------------------------------- small screens, zoom, large text, axe

PANEL_BOX = """() => {
    const d = document.querySelector('carechat-widget').shadowRoot.querySelector('dialog').getBoundingClientRect();
    return {x: d.x, y: d.y, width: d.width, height: d.height, vw: innerWidth, vh: innerHeight};
}"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"


def assert_fills_the_screen(tab: Tab) -> None:
    box = tab.page.evaluate(PANEL_BOX)
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, box["vw"], box["vh"]), box


def test_at_360_px_the_panel_fills_the_screen(world) -> None:
    chromium, sites, _ = world
    tab = Tab(chromium, sites, b.PHONE)
    try:
        tab.open_council()
        launcher = tab.launcher.bounding_box()
        assert launcher["x"] >= 0 and launcher["x"] + launcher["width"] <= b.PHONE["width"]
        frame = tab.open_panel()
        chat(frame)
        assert_fills_the_screen(tab)
        assert frame.evaluate(NO_SIDEWAYS_SCROLL)
        assert tab.page.get_by_role("button", name="Close").is_visible()
        b.screenshot(tab.page, "widget-360")
    finally:
        tab.close()


def test_at_200_percent_zoom_the_panel_fills_the_screen_and_reflows(world) -> None:
    chromium, sites, _ = world
    tab = Tab(chromium, sites, {"width": b.DESKTOP["width"] // 2, "height": b.DESKTOP["height"] // 2})
    try:
        tab.open_council()
        assert tab.launcher.evaluate("el => getComputedStyle(el).fontSize") == "16px"  # not shrunk by the council's 62.5%
        frame = tab.open_panel()
        chat(frame)
        assert_fills_the_screen(tab)
        assert frame.evaluate(NO_SIDEWAYS_SCROLL)
        frame.click(".text-size .size-largest")  # and the chat's own largest text on top
        assert frame.evaluate(NO_SIDEWAYS_SCROLL)
        frame.locator("#send").scroll_into_view_if_needed()
        assert frame.is_visible("#send")
    finally:
        tab.close()


def test_with_the_browsers_largest_text_the_widget_grows_and_still_fits(world, tmp_path) -> None:
    """The browser's own text size setting (32 px, twice the usual) in a real profile's preferences."""
    _, sites, pw = world
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps({"webkit": {"webprefs": {"default_font_size": 32}}}))
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=str(b.CHROMIUM), headless=True, args=b.LAUNCH_ARGS, viewport=b.DESKTOP)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(sites.council + "/")
        launcher = page.locator("carechat-widget .launch")
        assert launcher.evaluate("el => getComputedStyle(el).fontSize") == "32px"
        box = launcher.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= b.DESKTOP["width"]
        launcher.click()
        page.wait_for_function("() => document.querySelector('carechat-widget').shadowRoot.querySelector('dialog').open")
        frame = ready_frame(page)
        shown = page.evaluate(PANEL_BOX)
        assert (shown["x"], shown["y"], shown["width"], shown["height"]) == (0, 0, shown["vw"], shown["vh"])
        assert frame.evaluate("() => getComputedStyle(document.body).fontSize") == "34px"  # 1.0625rem of 32 px
        assert frame.evaluate(NO_SIDEWAYS_SCROLL)
    finally:
        context.close()


def blocking(results: dict) -> dict[str, list[str]]:
    return {impact: ids for impact, ids in b.violations_by_impact(results).items() if impact in b.AXE_BLOCKING}


def test_axe_on_the_council_page_with_the_widget_open_and_inside_the_panel(tab: Tab) -> None:
    tab.open_council()
    closed = b.run_axe(tab.page, "widget-host-closed")
    assert blocking(closed) == {}
    frame = tab.open_panel()
    chat(frame)
    host = b.run_axe(tab.page, "widget-host-open")
    assert blocking(host) == {}
    panel = b.run_axe(frame, "widget-panel")
    assert blocking(panel) == {}
    assert panel["passes"] and host["passes"]  # axe really ran on both
    # axe saw the widget's own elements (open shadow root), not just the council's.
    assert "carechat-widget" in json.dumps(host["passes"])


# ---------------------------------------------------------------- the launcher

def test_the_launcher_can_be_hidden_for_the_rest_of_the_visit(world) -> None:
    chromium, sites, _ = world
    tab = Tab(chromium, sites)
    try:
        tab.open_council()
        hide = tab.page.get_by_role("button", name="Hide the CareChat button for this visit")
        hide.click()
        assert tab.launcher.is_hidden()
        tab.page.goto(sites.council + "/other")  # another page of the council's site, same tab
        tab.page.wait_for_load_state("load")
        assert tab.page.locator("carechat-widget").count() == 1
        assert tab.launcher.is_hidden()
        # Only that choice is kept, in this tab only: no conversation, no cookie.
        assert tab.left_behind()["session"] == {"carechat-launcher-hidden": "1"}
        assert tab.left_behind()["local"] == {} and tab.context.cookies() == []
        other_visit = tab.context.new_page()  # a new tab is a new visit
        other_visit.goto(sites.council + "/")
        other_visit.locator("carechat-widget .launch").wait_for(state="visible")
    finally:
        tab.close()


CONTRAST_JS = """el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"""


@pytest.mark.parametrize("attrs, expected_text", [
    ('data-colour="#ffdd00" data-text-colour="#ffffff"', (0, 0, 0)),  # white on yellow: 1.4:1, black instead
    ('data-colour="#ffdd00"', (0, 0, 0)),                            # no text colour: the readable one
    ('data-colour="#4b0082" data-text-colour="#ffffff"', (255, 255, 255)),  # a good pair is kept
    ('data-colour="red; position:absolute"', (255, 255, 255)),       # not a colour: the default navy
])
def test_the_launcher_colours_are_the_councils_but_always_readable(world, attrs, expected_text) -> None:
    chromium, sites, _ = world
    original = sites.widget_attrs
    sites.widget_attrs = f'data-label="Ask CareChat" {attrs}'
    tab = Tab(chromium, sites)
    try:
        tab.open_council()
        assert tab.launcher.text_content() == "Ask CareChat"
        text, background = (b.parse_colour(c) for c in tab.launcher.evaluate(CONTRAST_JS))
        assert text[:3] == expected_text
        assert b.contrast(text, background) >= 4.5
        assert b.low_contrast_text(tab.page) == []
    finally:
        sites.widget_attrs = original
        tab.close()


def test_without_constructable_stylesheets_the_launcher_opens_carechat_in_a_new_tab(tab: Tab, world) -> None:
    """Older browsers: the launcher is styled through the CSSOM (a strict style-src allows it) and opens the full page."""
    sites = world[1]
    tab.context.add_init_script("delete ShadowRoot.prototype.adoptedStyleSheets;")
    tab.open_council()
    assert tab.launcher.evaluate("el => getComputedStyle(el.parentNode).position") == "fixed"
    text, background = (b.parse_colour(c) for c in tab.launcher.evaluate(CONTRAST_JS))
    assert b.contrast(text, background) >= 4.5
    with tab.context.expect_page() as opened:
        tab.launcher.click()
    opened.value.wait_for_load_state()
    assert opened.value.url == sites.gateway + "/"
    assert tab.page.url.startswith(sites.council)
    tab.page.get_by_role("button", name="Hide the CareChat button for this visit").click()
    assert tab.launcher.is_hidden()
    assert tab.complaints == []


def test_where_the_frame_may_keep_storage_the_chat_carries_on_across_pages_and_quick_exit_clears_it(world, tmp_path) -> None:
    """A profile that allows third-party storage (the browser partitions it under the council's site):
    the chat and its session carry on from page to page of the council's site in that tab, the
    council's site still holds nothing, no cookie is set anywhere, and quick exit empties the frame's storage."""
    _, sites, pw = world
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=str(b.CHROMIUM), headless=True, args=b.LAUNCH_ARGS, viewport=b.DESKTOP)
    context.route(f"{EXIT_URL}**", lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE))
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        def open_panel(path: str) -> Any:
            page.goto(sites.council + path)
            page.locator("carechat-widget .launch").click()
            frame = ready_frame(page)
            return frame

        frame = open_panel("/")
        chat(frame)
        sender = sites.rasa.received[-1]["sender"]
        assert "carechat.embed.session" in frame_storage(frame)
        frame = open_panel("/other")
        assert frame.locator("#log li.msg.bot").count() == 1  # the same chat on the next page
        chat(frame, "and another question")
        assert sites.rasa.received[-1]["sender"] == sender  # the same conversation, no cookie needed
        assert page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
        assert context.cookies() == []

        frame.click("#quick-exit")
        page.wait_for_url(EXIT_URL)
        frame = open_panel("/")
        assert frame.locator("#log li").count() == 0
        # Only what chat.js writes on any first load (text size, no reader chosen): no chat, no session.
        assert set(frame_storage(frame)) == {"carechat.textSize", "carechat.who"}
        assert frame.evaluate("() => sessionStorage.getItem('carechat.who')") == '""'
    finally:
        context.close()
