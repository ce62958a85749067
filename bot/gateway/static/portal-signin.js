// CareChat: one-time sign-in from the council's young people's portal.
//
// The portal opens CareChat at /#signin=<token>. The token travels in the fragment, which a
// browser never sends to a server, so it cannot reach a server log or a Referer header. This
// script takes it out of the address bar at once (so it is not left in history, a bookmark or
// on a shared screen), posts it to the gateway, and reloads the page signed in. If the link
// cannot be used, the page says so kindly and nobody is signed in.
//
// Load it BEFORE chat.js (both with defer), because it must act before chat.js starts:
// - It clears this tab's stored chat (keeping only the text size, as "Start again" does): a
//   sign-in link starts a fresh visit, and the tab may hold someone else's conversation.
// - It holds back chat.js's own requests until the sign-in has finished, so chat.js draws the
//   page from the session as it is afterwards (a failed sign-in signs out whoever was signed
//   in), and no request carries the cookie id that signing in replaces.
// Text only ever reaches the page through textContent.
(function () {
  "use strict";

  var PREFIX = "#signin=";
  var KEEP_KEY = "carechat.textSize";
  var FAILED = "This sign-in link has run out or was already used. Please go back to your " +
    "council's young people's portal and open CareChat from there.";

  function isSigninLink() { return (window.location.hash || "").indexOf(PREFIX) === 0; }

  // A link opened in a tab already showing CareChat changes only the fragment, and the page
  // does not load again: load it again, so the sign-in below starts from a fresh page.
  window.addEventListener("hashchange", function () {
    if (isSigninLink()) { window.location.reload(); }
  });
  if (!isSigninLink()) { return; }

  // 1. Out of the address bar before anything else happens.
  var token = window.location.hash.slice(PREFIX.length);
  try {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  } catch (e) {
    window.location.hash = "";
  }
  try { token = decodeURIComponent(token); } catch (e) { /* keep it as it came */ }

  // 2. A fresh visit: forget the chat this tab was showing.
  try {
    var size = window.sessionStorage.getItem(KEEP_KEY);
    window.sessionStorage.clear();
    if (size !== null) { window.sessionStorage.setItem(KEEP_KEY, size); }
  } catch (e) { /* storage blocked: nothing was kept */ }

  // 3. chat.js's requests wait until the sign-in is done (see the note at the top).
  var realFetch = window.fetch;
  var release;
  var signedInOrRefused = new Promise(function (resolve) { release = resolve; });
  window.fetch = function () {
    var args = arguments;
    return signedInOrRefused.then(function () { return realFetch.apply(window, args); });
  };
  function letChatContinue() {
    window.fetch = realFetch;
    release();
  }

  function showNotice(text) {
    var main = document.getElementById("main") || document.body;
    var notice = document.createElement("p");
    notice.className = "notice";
    notice.id = "portal-signin-notice";
    notice.tabIndex = -1;
    notice.textContent = text;
    main.insertBefore(notice, main.firstChild);
    notice.focus();
    var announcer = document.getElementById("announcer");
    if (announcer) {
      while (announcer.firstChild) { announcer.removeChild(announcer.firstChild); }
      var said = document.createElement("p");
      said.textContent = text;
      announcer.appendChild(said);
    }
  }

  function refused(text) {
    letChatContinue();
    showNotice(typeof text === "string" && text ? text : FAILED);
  }

  // 4. Redeem the token once; the gateway signs this session in and gives it a new cookie.
  realFetch.call(window, "/api/portal/signin", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: token })
  }).then(function (response) {
    if (response.ok) {
      window.location.reload();
      return;
    }
    return response.json()
      .catch(function () { return {}; })
      .then(function (data) { refused(data && data.error); });
  }).catch(function () { refused(FAILED); });
})();
