// CareChat chat page. Plain JavaScript, no build step, nothing loaded from anywhere else.
//
// Safety rules for this file:
// - Bot text only ever reaches the page through textContent and createElement, never
//   innerHTML, so nothing a message contains can run as code. Links are made by us from
//   plain text (http/https addresses and UK phone numbers), never taken from markup.
// - Everything kept in the browser lives in sessionStorage: it ends with the tab, and
//   "Start again" and "Quick exit" clear it at once.
(function () {
  "use strict";

  var KEYS = {
    conversation: "carechat.conversation",
    who: "carechat.who",
    simpler: "carechat.simpler",
    textSize: "carechat.textSize"
  };
  var EXIT_URL = document.getElementById("quick-exit").getAttribute("href");
  // The "who are you" choice -> the audience the bot writes for.
  var AUDIENCE_FOR_WHO = {
    in_care: "young_person",
    left_care: "young_person",
    parent: "parent",
    professional: "parent"
  };
  var TEXT_SIZES = ["normal", "large", "largest"];
  var MAX_CHARS = 1000;
  var HELP_PAYLOAD = "/get_help_now";
  var FALLBACK_ERROR = "Sorry, I can't answer right now. If you are in danger, call 999. " +
    "If you are under 19 you can talk to Childline free on 0800 1111, any time.";

  var el = function (id) { return document.getElementById(id); };
  var startSection = el("start");
  var chatSection = el("chat");
  var log = el("log");
  var form = el("composer");
  var input = el("message");
  var sendButton = el("send");
  var counter = el("message-count");
  var typing = el("typing");
  var announcer = el("announcer");
  var whoSelect = el("who");
  var whoNone = el("who-none");
  var simplerField = el("simpler-field");
  var simpler = el("simpler");
  var header = el("top");
  var busy = false;

  // ---------- storage (tab session only) ----------
  function load(key, fallback) {
    try {
      var raw = window.sessionStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function save(key, value) {
    try { window.sessionStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage blocked: still works */ }
  }

  function forgetAll(keepTextSize) {
    try {
      var size = window.sessionStorage.getItem(KEYS.textSize);
      window.sessionStorage.clear();
      if (keepTextSize && size !== null) { window.sessionStorage.setItem(KEYS.textSize, size); }
    } catch (e) { /* ignore */ }
  }

  var conversation = load(KEYS.conversation, []);
  if (!Array.isArray(conversation)) { conversation = []; }

  // ---------- announcing to screen readers ----------
  function announce(texts) {
    while (announcer.firstChild) { announcer.removeChild(announcer.firstChild); }
    texts.forEach(function (text) {
      var p = document.createElement("p");
      p.textContent = text;
      announcer.appendChild(p);
    });
  }

  // ---------- turning plain text into safe nodes ----------
  var LINK_PATTERN = /(https?:\/\/[^\s<>"']+)|(\b(?:999|116 ?123|0\d{2,4}(?: ?\d{3,4}){1,3})\b)/g;

  function phoneHref(text) {
    var digits = text.replace(/\D/g, "");
    if (digits === "999" || digits === "116123") { return "tel:" + digits; }
    if (digits.charAt(0) === "0" && digits.length >= 8 && digits.length <= 11) { return "tel:" + digits; }
    return null;
  }

  // Append `text` to `parent`, making web addresses and phone numbers into links.
  function appendLinked(parent, text) {
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(text)) !== null) {
      var found = match[0];
      var href = null;
      if (match[1]) {
        found = found.replace(/[.,;:!?)\]]+$/, "");
        href = /^https?:\/\//.test(found) ? found : null;
      } else {
        href = phoneHref(found);
      }
      if (!href) { continue; }
      if (match.index > last) { parent.appendChild(document.createTextNode(text.slice(last, match.index))); }
      var a = document.createElement("a");
      a.href = href;
      a.textContent = found;
      if (match[1]) { a.rel = "noopener noreferrer"; a.target = "_blank"; }
      parent.appendChild(a);
      last = match.index + found.length;
      LINK_PATTERN.lastIndex = last;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  // Bot text: lines starting "- " become a list; "Source:" lines are shown smaller.
  function renderText(container, text) {
    var lines = String(text || "").replace(/\r/g, "").split("\n");
    var list = null;
    lines.forEach(function (line) {
      var bullet = /^\s*[-•*]\s+(.*)$/.exec(line);
      if (bullet) {
        if (!list) { list = document.createElement("ul"); container.appendChild(list); }
        var li = document.createElement("li");
        appendLinked(li, bullet[1]);
        list.appendChild(li);
        return;
      }
      list = null;
      if (!line.trim()) { return; }
      var p = document.createElement("p");
      if (/^\s*Sources?:/.test(line)) { p.className = "source"; }
      appendLinked(p, line.trim());
      container.appendChild(p);
    });
  }

  function timeLabel(iso) {
    var when = iso ? new Date(iso) : null;
    if (!when || isNaN(when.getTime())) { return null; }
    var now = new Date();
    var time = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    if (when.toDateString() === now.toDateString()) { return time; }
    return when.toLocaleDateString("en-GB", { day: "numeric", month: "long" }) + ", " + time;
  }

  var WHO_SAID = { user: "You", bot: "CareChat", error: "CareChat" };

  function renderEntry(entry) {
    var from = entry.from === "user" ? "user" : entry.from === "error" ? "error" : "bot";
    var item = document.createElement("li");
    item.className = "msg " + from;

    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = WHO_SAID[from];
    meta.appendChild(who);
    var label = timeLabel(entry.at);
    if (label) {
      meta.appendChild(document.createTextNode(" "));
      var time = document.createElement("time");
      time.dateTime = entry.at;
      time.textContent = label;
      meta.appendChild(time);
    }
    item.appendChild(meta);

    var body = document.createElement("div");
    body.className = "body";
    if (from === "user") {
      var p = document.createElement("p");
      p.textContent = entry.text || "";
      body.appendChild(p);
    } else {
      renderText(body, entry.text);
    }
    item.appendChild(body);

    if (from === "bot" && entry.buttons && entry.buttons.length) {
      var group = document.createElement("div");
      group.className = "quick-replies";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      entry.buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () { send(b.payload, b.title); });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    return item;
  }

  function addEntry(entry) {
    entry.at = new Date().toISOString();
    conversation.push(entry);
    save(KEYS.conversation, conversation);
    var item = renderEntry(entry);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  function clearConversation() {
    conversation = [];
    try { window.sessionStorage.removeItem(KEYS.conversation); } catch (e) { /* ignore */ }
    while (log.firstChild) { log.removeChild(log.firstChild); }
    announce([]);
  }

  // ---------- who is reading ----------
  function currentWho() {
    return AUDIENCE_FOR_WHO[whoSelect.value] ? whoSelect.value : "";
  }

  function currentAudience() {
    var who = currentWho();
    if (!who) { return null; }
    if (who === "in_care" && simpler.checked) { return "child"; }
    return AUDIENCE_FOR_WHO[who];
  }

  function setWho(who) {
    whoSelect.value = AUDIENCE_FOR_WHO[who] ? who : "";
    whoNone.hidden = !!currentWho();
    simplerField.hidden = currentWho() !== "in_care";
    save(KEYS.who, currentWho());
  }

  // ---------- screens ----------
  function showChat() {
    startSection.hidden = true;
    chatSection.hidden = false;
  }

  function showStart() {
    chatSection.hidden = true;
    startSection.hidden = false;
  }

  // ---------- talking to the gateway ----------
  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data || {} };
      });
    });
  }

  // One message the person sent is one turn: it keeps its turn id on every resend, so the
  // server handles it once even when a resend reaches another server after a fault.
  // Resent after a dropped connection or a "try again in a moment" (502/503/504), for about 10 s.
  var RESEND_DELAYS_MS = [250, 500, 1000, 1000, 1000, 2000, 2000, 2000];

  function newTurnId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function wait(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  function postTurn(body) {
    var turn = { message: body.message, audience: body.audience, turn_id: newTurnId(), attempt: 1 };
    function tryFrom(index) {
      return postJson("/api/chat", turn).then(function (result) {
        var tryAgain = !result.ok && (result.status === 502 || result.status === 503 || result.status === 504);
        if (!tryAgain || index >= RESEND_DELAYS_MS.length) { return result; }
        return resend(index);
      }, function (failure) {
        if (index >= RESEND_DELAYS_MS.length) { throw failure; }
        return resend(index);
      });
    }
    function resend(index) {
      return wait(RESEND_DELAYS_MS[index]).then(function () {
        turn.attempt += 1;
        return tryFrom(index + 1);
      });
    }
    return tryFrom(0);
  }

  function setBusy(on) {
    busy = on;
    typing.hidden = !on;
    sendButton.setAttribute("aria-disabled", on ? "true" : "false");
    if (on) {
      announce(["CareChat is writing a reply."]);
      typing.scrollIntoView({ block: "nearest" });
    }
  }

  // Send `payload` to the bot; show `shown` (a button's words) as what the person said.
  function send(payload, shown) {
    if (busy) { return; }
    var text = String(payload || "").trim();
    if (!text) { return; }
    showChat();
    resetDeleteControls();
    addEntry({ from: "user", text: shown || text });
    setBusy(true);
    var said = [];
    postTurn({ message: text, audience: currentAudience() })
      .then(function (result) {
        if (!result.ok) {
          var error = typeof result.data.error === "string" ? result.data.error : FALLBACK_ERROR;
          addEntry({ from: "error", text: error });
          said.push(error);
          return;
        }
        (result.data.messages || []).forEach(function (m) {
          var hasText = typeof m.text === "string" && m.text.trim() !== "";
          var buttons = Array.isArray(m.buttons) ? m.buttons : [];
          if (!hasText && !buttons.length) { return; }
          addEntry({ from: "bot", text: hasText ? m.text : "", buttons: buttons });
          if (hasText) { said.push(m.text); }
        });
      })
      .catch(function () {
        addEntry({ from: "error", text: FALLBACK_ERROR });
        said.push(FALLBACK_ERROR);
      })
      .then(function () {
        setBusy(false);
        announce(said.length ? ["CareChat says:"].concat(said) : []);
      });
  }

  function updateCounter() {
    var left = MAX_CHARS - input.value.length;
    counter.textContent = left <= 200 ? left + " characters left" : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var text = input.value;
    if (!text.trim()) {
      announce(["Please type a message first."]);
      input.focus();
      return;
    }
    input.value = "";
    updateCounter();
    send(text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  });
  input.addEventListener("input", updateCounter);

  // ---------- start screen and settings ----------
  Array.prototype.forEach.call(document.querySelectorAll(".choice"), function (button) {
    button.addEventListener("click", function () {
      setWho(button.getAttribute("data-who"));
      showChat();
      input.focus();
    });
  });

  whoSelect.addEventListener("change", function () { setWho(whoSelect.value); });
  simpler.addEventListener("change", function () { save(KEYS.simpler, simpler.checked); });

  el("start-again").addEventListener("click", function () {
    resetDeleteControls();
    clearConversation();
    forgetAll(true);
    simpler.checked = false;
    setWho("");
    postJson("/api/restart", {}).catch(function () { /* a new conversation starts anyway */ });
    showStart();
    el("start-heading").focus();
    announce(["The chat has been cleared."]);
  });

  // ---------- delete this chat: two steps, both inside the page ----------
  // The server deletes the conversation from its records at once (not after the retention
  // period) and starts a new one; only then is the transcript on screen cleared.
  var DELETE_FAILED = "We couldn't delete this chat just now. Please try again in a moment.";
  var deleteButton = el("delete-chat");
  var deleteConfirm = el("delete-confirm");
  var deleteQuestion = el("delete-question");
  var deleteYes = el("delete-yes");
  var deleteStatus = el("delete-status");
  var deleting = false;

  function setDeleteStatus(text, failed) {
    deleteStatus.textContent = text;
    deleteStatus.classList.toggle("failed", !!failed);
  }

  function closeDeleteConfirm(focusButton) {
    deleteConfirm.hidden = true;
    deleteButton.setAttribute("aria-expanded", "false");
    if (focusButton) { deleteButton.focus(); }
  }

  function resetDeleteControls() {
    closeDeleteConfirm(false);
    setDeleteStatus("", false);
  }

  deleteButton.addEventListener("click", function () {
    if (deleting) { return; }
    setDeleteStatus("", false);
    deleteConfirm.hidden = false;
    deleteButton.setAttribute("aria-expanded", "true");
    deleteQuestion.focus();  // read the question first; Yes and No follow in tab order
  });

  el("delete-no").addEventListener("click", function () { closeDeleteConfirm(true); });

  deleteConfirm.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !deleting) {
      event.preventDefault();
      closeDeleteConfirm(true);
    }
  });

  deleteYes.addEventListener("click", function () {
    if (deleting) { return; }
    if (busy) {
      setDeleteStatus("Please wait for CareChat's reply, then delete the chat.", true);
      return;
    }
    deleting = true;
    deleteYes.setAttribute("aria-disabled", "true");
    setDeleteStatus("Deleting this chat...", false);
    postJson("/api/chat/delete", {})
      .then(function (result) {
        if (!result.ok || result.data.deleted !== true) {
          var said = typeof result.data.error === "string" ? result.data.error : DELETE_FAILED;
          closeDeleteConfirm(true);
          setDeleteStatus(said, true);
          return;
        }
        clearConversation();
        showSession(result.data);
        closeDeleteConfirm(false);
        setDeleteStatus("This chat has been deleted.", false);
        input.focus();
      })
      .catch(function () {
        closeDeleteConfirm(true);
        setDeleteStatus(DELETE_FAILED, true);
      })
      .then(function () {
        deleting = false;
        deleteYes.setAttribute("aria-disabled", "false");
      });
  });

  // ---------- always there: get help now, quick exit ----------
  el("help-now").addEventListener("click", function () {
    send(HELP_PAYLOAD, "Get help now");
  });

  el("quick-exit").addEventListener("click", function (event) {
    event.preventDefault();
    clearConversation();
    forgetAll(false);
    // In the widget on a council's page (embed.js): the whole tab leaves, not just this frame.
    if (window.CareChatEmbed) {
      window.CareChatEmbed.quickExit(EXIT_URL);
      return;
    }
    try {
      if (navigator.sendBeacon) { navigator.sendBeacon("/api/signout"); }
    } catch (e) { /* leaving matters more */ }
    window.location.replace(EXIT_URL);
  });

  // ---------- text size ----------
  var sizeButtons = document.querySelectorAll(".text-size .size");

  function keepFocusClearOfHeader() {
    // The header stays on screen, so scroll focused things clear of it (WCAG 2.4.11).
    document.documentElement.style.scrollPaddingTop = (header.offsetHeight + 8) + "px";
  }

  function setTextSize(size) {
    if (TEXT_SIZES.indexOf(size) < 0) { size = "normal"; }
    TEXT_SIZES.forEach(function (s) { document.documentElement.classList.toggle("text-" + s, s === size); });
    Array.prototype.forEach.call(sizeButtons, function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-size") === size ? "true" : "false");
    });
    save(KEYS.textSize, size);
    keepFocusClearOfHeader();
  }

  Array.prototype.forEach.call(sizeButtons, function (b) {
    b.addEventListener("click", function () { setTextSize(b.getAttribute("data-size")); });
  });
  window.addEventListener("resize", keepFocusClearOfHeader);

  // ---------- sign-in state (demo sign-in only in demo mode) ----------
  var demoSection = el("demo");
  var demoSelect = el("demo-person");
  var signedInBox = el("signed-in");
  var signedInAs = el("signed-in-as");

  function showSession(state) {
    state = state || {};
    signedInBox.hidden = !state.signed_in;
    signedInAs.textContent = state.signed_in
      ? "Signed in as " + state.display_name + (state.demo_mode ? " (a made-up demo person)" : "")
      : "";
    demoSection.hidden = !(state.demo_mode && !state.signed_in);
    keepFocusClearOfHeader();
  }

  function loadDemoPeople() {
    fetch("/api/demo/people", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { people: [] }; })
      .then(function (data) {
        while (demoSelect.firstChild) { demoSelect.removeChild(demoSelect.firstChild); }
        (data.people || []).forEach(function (person) {
          var option = document.createElement("option");
          option.value = person.case_ref;
          option.textContent = person.display_name + (person.situation ? ": " + person.situation : "");
          demoSelect.appendChild(option);
        });
      })
      .catch(function () { /* demo list unavailable: leave it empty */ });
  }

  el("demo-signin").addEventListener("click", function () {
    if (!demoSelect.value) { return; }
    postJson("/api/demo/signin", { case_ref: demoSelect.value }).then(function (result) {
      if (result.ok) {
        showSession(result.data);
        announce([signedInAs.textContent + "."]);
        el("signout").focus();
      } else {
        announce([result.data.error || FALLBACK_ERROR]);
      }
    }).catch(function () { announce([FALLBACK_ERROR]); });
  });

  el("signout").addEventListener("click", function () {
    postJson("/api/signout", {}).then(function (result) {
      if (!result.ok) { return; }
      resetDeleteControls();
      clearConversation();
      forgetAll(true);
      simpler.checked = false;
      setWho("");
      showSession(result.data);
      showStart();
      el("start-heading").focus();
      announce(["You are signed out and the chat has been cleared."]);
    }).catch(function () { announce([FALLBACK_ERROR]); });
  });

  // ---------- in the widget (embed.js): the council's portal signed someone in, or tried to ----------
  if (window.CareChatEmbed) {
    window.CareChatEmbed.startAfresh = function (state, failed) {
      resetDeleteControls();
      clearConversation();
      forgetAll(true);
      simpler.checked = false;
      setWho("");
      showSession(state);
      showStart();
      if (failed) { announce([failed]); } else if (state && state.signed_in) { announce([signedInAs.textContent + "."]); }
    };
  }

  // ---------- start up ----------
  setTextSize(load(KEYS.textSize, "normal"));
  simpler.checked = load(KEYS.simpler, false) === true;
  setWho(load(KEYS.who, ""));
  conversation.forEach(renderEntry);
  if (conversation.length || currentWho()) {
    showChat();
    if (log.lastChild) { log.lastChild.scrollIntoView({ block: "nearest" }); }
  }
  updateCounter();

  fetch("/api/session", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (state) {
      if (state.demo_mode) { loadDemoPeople(); }
      showSession(state);
    })
    .catch(function () { /* the page still works without session info */ });
})();
