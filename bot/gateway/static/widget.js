// CareChat widget for a council's own web page: <script src="https://<carechat>/static/widget.js" defer></script>
// (docs/embedding.md). It shows a launcher button that opens CareChat in a panel; the chat
// itself runs in an iframe served by CareChat (/embed), so this page never sees the
// conversation and CareChat's own security policy stays as strict as it is.
//
// Rules for this file (it runs on someone else's page, under their security policy):
// - No innerHTML, no style attributes, no inline <style> text: elements come from DOM calls
//   and styles from a constructed stylesheet in a Shadow DOM (a council's CSP need not allow
//   inline styles; see LEGACY for older browsers). Nothing is loaded from anywhere but
//   CareChat. No build step.
// - Messages to the iframe go only to CareChat's origin; messages are taken only from that
//   iframe (event.source and event.origin) or from this page itself (its own sign-in token).
// - Nothing is stored on the council's site (no cookies, no conversation); the only thing
//   ever written is the "hide the button for this visit" choice in sessionStorage, and quick
//   exit removes that too.
(function () {
  "use strict";

  var me = document.currentScript;
  if (!me || !me.src || !document.documentElement.attachShadow || document.querySelector("carechat-widget")) { return; }

  var GATEWAY = new URL(me.src).origin;
  var PAGE = window.location.origin;
  var opts = me.dataset;
  var HIDDEN_KEY = "carechat-launcher-hidden";
  var ESCAPE_WINDOW_MS = 2000;
  var DEFAULT_EXIT = "https://www.bbc.co.uk/weather";
  var DEFAULT_LABEL = "Chat with CareChat";
  var DEFAULT_COLOUR = "#1d3557";
  var WHITE = [255, 255, 255];
  var BLACK = [0, 0, 0];

  function warn(text) {
    if (window.console) { window.console.warn("CareChat widget: " + text); }
  }

  // ---------- settings from the script tag's data- attributes ----------
  function exitUrl(value) {
    try {
      if (value && new URL(value).protocol === "https:") { return value; }
    } catch (e) { /* not a URL */ }
    if (value) { warn("data-exit-url must be an https:// address; using " + DEFAULT_EXIT); }
    return DEFAULT_EXIT;
  }

  function rgb(value) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
    if (!m) { return null; }
    var hex = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    return [0, 2, 4].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
  }

  function luminance(c) {
    var w = [0.2126, 0.7152, 0.0722];
    return c.reduce(function (sum, v, i) {
      v /= 255;
      return sum + w[i] * (v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    }, 0);
  }

  // WCAG contrast ratio of two colours.
  function contrast(a, b) {
    var x = luminance(a);
    var y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  function css(c) { return "rgb(" + c.join(",") + ")"; }

  var EXIT = exitUrl(opts.exitUrl);
  var label = String(opts.label || "").replace(/\s+/g, " ").trim().slice(0, 60) || DEFAULT_LABEL;
  var bg = rgb(opts.colour);
  if (!bg) {
    if (opts.colour) { warn("data-colour must look like #1d3557; using the default colour"); }
    bg = rgb(DEFAULT_COLOUR);
  }
  var fg = rgb(opts.textColour);
  if (!fg || contrast(fg, bg) < 4.5) {
    // Text must be readable (WCAG 1.4.3, 4.5:1): keep the council's colour, pick black or white text.
    if (opts.textColour) { warn("data-text-colour is too close to data-colour (under 4.5:1); using black or white text"); }
    fg = contrast(WHITE, bg) >= contrast(BLACK, bg) ? WHITE : BLACK;
  }
  var pendingToken = opts.signinToken || null;
  if (pendingToken) { me.removeAttribute("data-signin-token"); }  // not left in the page

  // ---------- styles: one constructed stylesheet inside the shadow root ----------
  var FONT = "system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif";
  var RULES = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".dock{position:fixed;z-index:2147483000;right:1em;bottom:1em;display:flex;align-items:center;gap:.5em;" +
      "max-width:calc(100vw - 2em);font:bold 1em/1.3 " + FONT + "}",
    ".dock.left{right:auto;left:1em}",
    ".launch{font:inherit;min-height:2.75em;padding:.55em 1.1em;border:2px solid " + css(fg) + ";border-radius:1.4em;" +
      "background:" + css(bg) + ";color:" + css(fg) + ";cursor:pointer;box-shadow:0 2px 6px rgba(0,0,0,.4);text-align:left}",
    ".launch:hover{text-decoration:underline}",
    ".hide{position:relative;font:inherit;flex:none;width:2em;height:2em;padding:0;border:2px solid #1b1b1b;border-radius:50%;" +
      "background:#fff;color:#1b1b1b;cursor:pointer;line-height:1}",
    "button:focus-visible,a:focus-visible{outline:3px solid #ffdd00;outline-offset:2px;box-shadow:0 0 0 5px #1b1b1b}",
    "dialog{position:fixed;inset:auto 1em 1em auto;margin:0;padding:0;width:min(26em,calc(100vw - 2em));" +
      "height:min(44em,calc(100vh - 2em));max-width:none;max-height:none;border:2px solid #1d3557;border-radius:.6em;" +
      "background:#fff;color:#1b1b1b;overflow:hidden;font:1em/1.4 " + FONT + "}",
    "dialog.left{inset:auto auto 1em 1em}",
    "dialog[open]{display:flex;flex-direction:column}",
    "dialog::backdrop{background:rgba(0,0,0,.45)}",
    ".bar{flex:none;display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.4em;" +
      "padding:.35em .5em .35em 1em;background:#1d3557;color:#fff}",
    "h2{margin:0;font-size:1.15em;font-weight:bold}",
    ".close{font:inherit;font-weight:bold;min-height:2.75em;padding:.3em .9em;border:2px solid #fff;border-radius:.3em;" +
      "background:#fff;color:#1d3557;cursor:pointer}",
    ".close:hover{text-decoration:underline}",
    "iframe{flex:1 1 auto;display:block;width:100%;min-height:0;border:0;background:#f7f7f5}",
    ".fallback{padding:1em;overflow:auto}",
    ".fallback p{margin:0 0 .75em}",
    ".fallback a{color:#0b4f9c}",
    ".trap,.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}",
    // Phones, 200% zoom, very large text: the panel is the whole screen.
    "@media (max-width:45em),(max-height:32em){dialog,dialog.left{inset:0;width:100%;height:100%;border:0;border-radius:0}}"
  ];

  // Browsers without constructed stylesheets or <dialog> (before Safari 16.4): an inline <style>
  // would need the council's CSP to allow inline styles, so instead the launcher gets its few
  // styles through the CSSOM (which a CSP allows) and opens CareChat's own page in a new tab.
  var LEGACY = !("adoptedStyleSheets" in ShadowRoot.prototype) || !window.CSSStyleSheet || !window.HTMLDialogElement;

  function addStyles(root) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(RULES.join("\n"));
    root.adoptedStyleSheets = [sheet];
  }

  function inline(el, declarations) {
    declarations.split(";").forEach(function (d) {
      var at = d.indexOf(":");
      if (at > 0) { el.style.setProperty(d.slice(0, at).trim(), d.slice(at + 1).trim()); }
    });
  }

  // ---------- the elements ----------
  function make(tag, parent, text, className) {
    var el = document.createElement(tag);
    if (text) { el.textContent = text; }
    if (className) { el.className = className; }
    if (parent) { parent.appendChild(el); }
    return el;
  }

  function button(parent, text, className) {
    var b = make("button", parent, text, className);
    b.type = "button";
    return b;
  }

  var side = opts.position === "left" ? " left" : "";
  var host = document.createElement("carechat-widget");
  var root = host.attachShadow({ mode: "open" });
  if (!LEGACY) { addStyles(root); }

  var dock = make("div", root, "", "dock" + side);
  var launcher = button(dock, label, "launch");
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-expanded", "false");
  var hide = button(dock, "", "hide");
  make("span", hide, "\u00d7").setAttribute("aria-hidden", "true");
  make("span", hide, "Hide the CareChat button for this visit", "sr");
  hide.title = "Hide the CareChat button for this visit";

  var dialog = make("dialog", root, "", side.trim());
  dialog.setAttribute("aria-labelledby", "carechat-title");
  var startTrap = make("span", dialog, "", "trap");
  var bar = make("div", dialog, "", "bar");
  make("h2", bar, "CareChat").id = "carechat-title";
  var closeButton = button(bar, "Close", "close");
  var loading = make("p", dialog, "Opening CareChat\u2026", "fallback");
  loading.setAttribute("role", "status");
  var fallback = make("div", dialog, "", "fallback");
  fallback.hidden = true;
  var endTrap = make("span", dialog, "", "trap");
  startTrap.tabIndex = 0;
  endTrap.tabIndex = 0;

  function hideDock() {
    dock.hidden = true;
    dock.style.setProperty("display", "none");
  }

  try {
    if (window.sessionStorage.getItem(HIDDEN_KEY) === "1") { hideDock(); }
  } catch (e) { /* storage blocked: the button shows */ }

  if (LEGACY) {
    inline(dock, "position:fixed;z-index:2147483000;bottom:1em;display:flex;align-items:center;gap:.5em;" +
      (side ? "left" : "right") + ":1em;font:bold 1em/1.3 " + FONT);
    inline(launcher, "font:inherit;min-height:2.75em;padding:.55em 1.1em;border-radius:1.4em;cursor:pointer;" +
      "border:2px solid " + css(fg) + ";background:" + css(bg) + ";color:" + css(fg));
    inline(hide, "position:relative;font:inherit;width:2em;height:2em;padding:0;border:2px solid #1b1b1b;" +
      "border-radius:50%;background:#fff;color:#1b1b1b;cursor:pointer");
    inline(hide.lastChild, "position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap");
    launcher.removeAttribute("aria-haspopup");
    launcher.removeAttribute("aria-expanded");
  }

  // If CareChat cannot be reached or may not be shown here, say where to go and who to call.
  function link(parent, text, href) {
    var a = make("a", parent, text);
    a.href = href;
    return a;
  }

  function showFallback() {
    if (!fallback.firstChild) {
      make("p", fallback, "CareChat can't open here just now.");
      var p = make("p", fallback);
      var a = link(p, "Open CareChat in a new tab", GATEWAY + "/");
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      p = make("p", fallback, "If you are in danger, call ");
      link(p, "999", "tel:999");
      p.appendChild(document.createTextNode(". If you are under 19 you can call Childline free on "));
      link(p, "0800 1111", "tel:08001111");
      p.appendChild(document.createTextNode("."));
    }
    if (frame) { frame.hidden = true; }
    loading.hidden = true;
    fallback.hidden = false;
  }

  // ---------- the iframe and talking to it ----------
  var frame = null;
  var ready = false;
  var failTimer = 0;
  var lastFocus = null;
  var opening = false;
  var escapes = [];
  var exiting = false;
  var gone = false;

  function post(type, token) {
    if (!frame || !frame.contentWindow) { return; }
    var message = { type: type };
    if (token) { message.token = token; }
    frame.contentWindow.postMessage(message, GATEWAY);
  }

  function failAfter(ms) {
    window.clearTimeout(failTimer);
    failTimer = window.setTimeout(function () { if (!ready) { showFallback(); } }, ms);
  }

  function ensureFrame() {
    if (frame) { return; }
    frame = document.createElement("iframe");
    frame.title = "CareChat chat";
    frame.referrerPolicy = "no-referrer";
    frame.src = GATEWAY + "/embed?origin=" + encodeURIComponent(PAGE);
    frame.hidden = true;  // shown once the chat says it is ready (it loads all the same)
    // Loaded but silent: the browser refused to show it here (this site is not configured).
    frame.addEventListener("load", function () { if (!ready) { failAfter(2000); } });
    dialog.insertBefore(frame, loading);
    failAfter(15000);
  }

  function sendToken() {
    if (ready && pendingToken) {
      post("carechat:signin", pendingToken);
      pendingToken = null;
    }
  }

  function open() {
    ensureFrame();
    if (dialog.open) { return; }
    lastFocus = document.activeElement;
    opening = true;
    closeButton.autofocus = true;  // where showModal puts focus (not the first trap); set only now, so
    dialog.showModal();            // it never takes focus from the council's page when it loads
    closeButton.autofocus = false;
    opening = false;
    launcher.setAttribute("aria-expanded", "true");
    closeButton.focus();
  }

  function close() {
    if (dialog.open) { dialog.close(); }
  }

  function leave() {
    if (!exiting || gone) { return; }
    gone = true;
    if (host.parentNode) { host.parentNode.removeChild(host); }
    window.location.replace(EXIT);
  }

  // Quick exit: the frame forgets the chat and signs out, then the whole tab goes to a neutral site.
  function quickExit(frameCleared) {
    if (exiting) { return; }
    exiting = true;
    try { window.sessionStorage.removeItem(HIDDEN_KEY); } catch (e) { /* nothing stored */ }
    if (frameCleared || !ready) {
      leave();
      return;
    }
    post("carechat:quick-exit");
    window.setTimeout(leave, 300);  // never wait longer than this for the frame's "cleared"
  }

  // Escape closes the panel; three presses within two seconds (starting in the panel) are a quick exit.
  function pressedEscape() {
    var now = Date.now();
    escapes = escapes.filter(function (t) { return now - t < ESCAPE_WINDOW_MS; });
    escapes.push(now);
    if (escapes.length >= 3) {
      quickExit(false);
    } else {
      close();
    }
  }

  // Older browsers get CareChat's own page in a new tab (a token goes in its #signin= fragment,
  // as the portal's link does: docs/portal-signin.md).
  function openInTab(token) {
    window.open(GATEWAY + "/" + (token ? "#signin=" + encodeURIComponent(token) : ""), "_blank", "noopener,noreferrer");
  }

  launcher.addEventListener("click", function () {
    if (LEGACY) { openInTab(pendingToken); pendingToken = null; } else { open(); }
  });
  closeButton.addEventListener("click", close);
  hide.addEventListener("click", function () {
    hideDock();
    try { window.sessionStorage.setItem(HIDDEN_KEY, "1"); } catch (e) { /* hidden for this page only */ }
  });

  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    event.preventDefault();
    event.stopPropagation();
    pressedEscape();
  });
  dialog.addEventListener("close", function () {
    launcher.setAttribute("aria-expanded", "false");
    var back = dock.hidden ? lastFocus : launcher;
    if (back && back.focus) { back.focus(); }
  });
  // After the panel closed, the rest of a three-Escape quick exit lands on the council page.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !dialog.open && escapes.length &&
        Date.now() - escapes[escapes.length - 1] < ESCAPE_WINDOW_MS) {
      pressedEscape();
    }
  }, true);

  // Tab stays inside the panel: past the last control in the chat, back to Close; before Close, to the chat's last control.
  startTrap.addEventListener("focus", function () {
    if (!opening && ready && frame && !frame.hidden) { post("carechat:focus-last"); } else { closeButton.focus(); }
  });
  endTrap.addEventListener("focus", function () { closeButton.focus(); });

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.type !== "string") { return; }
    if (frame && event.source === frame.contentWindow && event.origin === GATEWAY) {
      if (data.type === "carechat:ready") {
        ready = true;
        window.clearTimeout(failTimer);
        fallback.hidden = true;
        loading.hidden = true;
        frame.hidden = false;
        sendToken();
      } else if (data.type === "carechat:escape") {
        pressedEscape();
      } else if (data.type === "carechat:quick-exit") {
        quickExit(true);
      } else if (data.type === "carechat:cleared") {
        leave();
      }
    } else if (event.source === window && event.origin === PAGE) {
      // This page's own script: the portal's one-time sign-in token, or a request to open.
      if (data.type === "carechat:signin" && typeof data.token === "string" && data.token) {
        if (LEGACY) { openInTab(data.token); return; }
        pendingToken = data.token;
        open();
        sendToken();
      } else if (data.type === "carechat:open") {
        if (LEGACY) { openInTab(null); } else { open(); }
      }
    }
  });

  (document.body || document.documentElement).appendChild(host);
  if (pendingToken && !LEGACY) { ensureFrame(); }  // redeem the attribute's token now, before it runs out
})();
