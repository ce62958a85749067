// CareChat inside the widget's panel on a council's page (the embed page, /embed).
//
// Loaded before chat.js, only on the embed page. The gateway served this page only because the
// page framing it is the council origin in <html data-embed-origin> (its frame-ancestors names
// exactly that origin, and the browser enforces it), so that origin is the only one this page
// talks to:
// - Messages go to it with that exact target origin; messages are taken only from it
//   (event.origin) and only from the window that framed this page (event.source).
// - The session: a third-party cookie is not sent or not kept here, so the session id lives in
//   this script (and this frame's own sessionStorage, which the council page cannot read) and
//   goes to the gateway in the X-CareChat-Session header of this page's own same-origin
//   requests. The gateway sends a new id back in the same header.
// - Quick exit clears this frame, signs the session out, and asks the council page to leave
//   too (widget.js sends the whole tab to a neutral site). Escape keys are passed up, so
//   Escape closes the panel and three quick presses are a quick exit.
// - The council's portal can sign the young person in (widget.js passes its one-time token);
//   chat.js then starts afresh through CareChatEmbed.startAfresh.
(function () {
  "use strict";

  var PARENT = document.documentElement.getAttribute("data-embed-origin");
  // Opened on its own, not inside the widget: the full page is the right one.
  if (!PARENT || window.parent === window) { window.location.replace("/"); return; }

  var HEADER = "X-CareChat-Session";
  var SESSION_KEY = "carechat.embed.session";
  var FAILED = "This sign-in link has run out or was already used. Please go back to your " +
    "council's young people's portal and open CareChat from there.";
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  var realFetch = window.fetch.bind(window);
  var queue = Promise.resolve();
  var exiting = false;
  var sessionId = read(SESSION_KEY);

  function read(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function write(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (e) { /* storage blocked: memory only */ }
  }

  // chat.js clears sessionStorage on "Start again" and "Sign out"; the session itself stays.
  function keepSession() {
    if (!exiting && sessionId) { write(SESSION_KEY, sessionId); }
  }

  function tell(type) {
    window.parent.postMessage({ type: type }, PARENT);
  }

  function isOwnApi(input) {
    var url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    return url.origin === window.location.origin && url.pathname.indexOf("/api/") === 0;
  }

  // Every API request of this page carries the session header, one at a time, so a request
  // never goes out with an id the previous answer (a sign-in, a sign-out) has just replaced.
  window.fetch = function (input, init) {
    if (!isOwnApi(input)) { return realFetch(input, init); }
    var options = Object.assign({}, init || {});
    function run() {
      var headers = new Headers(options.headers || {});
      headers.set(HEADER, sessionId || "");
      options.headers = headers;
      options.credentials = "omit";
      return realFetch(input, options).then(function (response) {
        var issued = response.headers.get(HEADER);
        if (issued && !exiting) { sessionId = issued; }
        keepSession();
        return response;
      });
    }
    var result = queue.then(run, run);
    queue = result.then(function () {}, function () {});
    return result;
  };

  // Forget everything in this frame and end the session on the server (it survives the page leaving).
  function forget() {
    var id = sessionId;
    exiting = true;
    sessionId = null;
    try { window.sessionStorage.clear(); } catch (e) { /* nothing was kept */ }
    if (!id) { return; }
    var headers = {};
    headers[HEADER] = id;
    realFetch("/api/signout", { method: "POST", keepalive: true, credentials: "omit", headers: headers })
      .catch(function () { /* leaving matters more */ });
  }

  // chat.js calls this from its Quick exit button (the chat on screen is already cleared).
  window.CareChatEmbed = {
    quickExit: function (exitUrl) {
      forget();
      tell("carechat:quick-exit");
      // If the council page does not leave (its script failed), leave from here.
      window.setTimeout(function () {
        try { window.top.location.replace(exitUrl); } catch (e) { window.location.replace(exitUrl); }
      }, 600);
    }
  };

  function focusEdge(last) {
    var all = Array.prototype.filter.call(document.querySelectorAll(FOCUSABLE), function (el) {
      return el.tabIndex >= 0 && !el.disabled && el.getClientRects().length > 0;
    });
    var target = last ? all[all.length - 1] : all[0];
    if (target) { target.focus(); }
  }

  function readJson(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      return { ok: response.ok, data: data || {} };
    });
  }

  function showFailedSignin() {
    var main = document.getElementById("main") || document.body;
    var notice = document.getElementById("portal-signin-notice") || document.createElement("p");
    notice.className = "notice";
    notice.id = "portal-signin-notice";
    notice.tabIndex = -1;
    notice.textContent = FAILED;
    main.insertBefore(notice, main.firstChild);
  }

  // A fresh visit for the person the portal vouches for: the token is redeemed once, and
  // chat.js starts afresh from the session as it is afterwards (a failed sign-in signs out
  // whoever was signed in). Nothing is reloaded: this frame may have nowhere to keep the session.
  function signIn(token) {
    var post = window.fetch("/api/portal/signin", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token })
    }).then(readJson, function () { return { ok: false, data: {} }; });
    post.then(function (result) {
      if (result.ok) { return result; }
      return window.fetch("/api/session").then(readJson).then(function (state) {
        return { ok: false, data: state.data };
      }, function () { return { ok: false, data: {} }; });
    }).then(function (result) {
      var old = document.getElementById("portal-signin-notice");
      if (old) { old.parentNode.removeChild(old); }
      if (!result.ok) { showFailedSignin(); }
      if (window.CareChatEmbed.startAfresh) {
        window.CareChatEmbed.startAfresh(result.data, result.ok ? null : FAILED);
      }
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== PARENT || event.source !== window.parent) { return; }
    var data = event.data;
    if (!data || typeof data !== "object") { return; }
    if (data.type === "carechat:signin" && typeof data.token === "string" && data.token) {
      signIn(data.token);
    } else if (data.type === "carechat:focus-first" || data.type === "carechat:focus-last") {
      focusEdge(data.type === "carechat:focus-last");
    } else if (data.type === "carechat:quick-exit") {
      forget();
      tell("carechat:cleared");
    }
  });

  // Escape belongs to the panel (unless something in the page used it, like "Delete this chat?").
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.defaultPrevented && !event.isComposing) { tell("carechat:escape"); }
  });

  window.addEventListener("pagehide", keepSession);
  // chat.js (deferred, after this file) has drawn the page by now.
  document.addEventListener("DOMContentLoaded", function () { tell("carechat:ready"); });
})();
