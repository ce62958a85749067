// CareChat plain chat page. Bot text is only ever put on the page with textContent,
// never innerHTML, so nothing a message contains can run as code.
(function () {
  "use strict";

  var CONVERSATION_KEY = "carechat.conversation";
  var CHOICE_KEY = "carechat.who";
  var EXIT_URL = "https://www.bbc.co.uk/weather";
  // The "who are you" choice -> the audience the bot writes for.
  var AUDIENCE_FOR_CHOICE = {
    child: "child",
    in_care: "young_person",
    left_care: "young_person",
    parent: "parent",
    professional: "professional"
  };

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var sendButton = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var whoSelect = document.getElementById("audience");
  var busy = false;

  function loadConversation() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(CONVERSATION_KEY) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) {
      return [];
    }
  }

  var conversation = loadConversation();

  function saveConversation() {
    try {
      window.sessionStorage.setItem(CONVERSATION_KEY, JSON.stringify(conversation));
    } catch (e) { /* storage full or blocked: the chat still works */ }
  }

  function clearConversation() {
    conversation = [];
    try { window.sessionStorage.removeItem(CONVERSATION_KEY); } catch (e) { /* ignore */ }
    while (log.firstChild) { log.removeChild(log.firstChild); }
  }

  function paragraph(text, className) {
    var p = document.createElement("p");
    if (className) { p.className = className; }
    p.textContent = text;
    return p;
  }

  // Split off a final "Source:" line so it can be shown smaller.
  function splitSource(text) {
    var lines = String(text).replace(/\s+$/, "").split("\n");
    var last = lines[lines.length - 1];
    if (lines.length > 1 && /^\s*Source:/.test(last)) {
      return { body: lines.slice(0, -1).join("\n"), source: last.trim() };
    }
    if (lines.length === 1 && /^\s*Source:/.test(last)) {
      return { body: "", source: last.trim() };
    }
    return { body: lines.join("\n"), source: null };
  }

  function renderEntry(entry) {
    var item = document.createElement("li");
    item.className = "msg " + (entry.from === "user" ? "user" : entry.from === "error" ? "error" : "bot");
    if (entry.from === "bot") {
      var parts = splitSource(entry.text || "");
      if (parts.body) { item.appendChild(paragraph(parts.body)); }
      if (parts.source) { item.appendChild(paragraph(parts.source, "source")); }
    } else {
      item.appendChild(paragraph(entry.text || ""));
    }
    if (entry.buttons && entry.buttons.length) {
      var group = document.createElement("div");
      group.className = "quick-replies";
      entry.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () { send(b.payload, b.title); });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function addEntry(entry) {
    conversation.push(entry);
    saveConversation();
    renderEntry(entry);
  }

  function currentAudience() {
    return AUDIENCE_FOR_CHOICE[whoSelect.value] || null;
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  var FALLBACK_ERROR = "Sorry, I can't answer right now. If you are in danger, call 999.";

  // Send `payload` to the bot; show `shown` (a button title) as the user's words when given.
  function send(payload, shown) {
    if (busy) { return; }
    var text = String(payload || "").trim();
    if (!text) { return; }
    busy = true;
    sendButton.disabled = true;
    addEntry({ from: "user", text: shown || text });
    statusLine.textContent = "CareChat is writing a reply...";
    postJson("/api/chat", { message: text, audience: currentAudience() })
      .then(function (result) {
        if (!result.ok) {
          addEntry({ from: "error", text: result.data.error || FALLBACK_ERROR });
          return;
        }
        (result.data.messages || []).forEach(function (m) {
          if (typeof m.text !== "string" && !(m.buttons && m.buttons.length)) { return; }
          addEntry({ from: "bot", text: m.text || "", buttons: m.buttons || [] });
        });
      })
      .catch(function () {
        addEntry({ from: "error", text: FALLBACK_ERROR });
      })
      .then(function () {
        busy = false;
        sendButton.disabled = false;
        statusLine.textContent = "";
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { return; }
    input.value = "";
    send(text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  document.getElementById("help-now").addEventListener("click", function () {
    send("help now");
  });

  document.getElementById("quick-exit").addEventListener("click", function (event) {
    event.preventDefault();
    clearConversation();
    try { window.sessionStorage.clear(); } catch (e) { /* ignore */ }
    if (navigator.sendBeacon) { navigator.sendBeacon("/api/signout"); }
    window.location.replace(EXIT_URL);
  });

  whoSelect.addEventListener("change", function () {
    try { window.sessionStorage.setItem(CHOICE_KEY, whoSelect.value); } catch (e) { /* ignore */ }
  });

  // ---- demo sign-in (only shown when the server says demo mode is on) ----
  var demoSection = document.getElementById("demo");
  var demoSelect = document.getElementById("demo-person");
  var signedOutBox = document.getElementById("demo-signed-out");
  var signedInBox = document.getElementById("demo-signed-in");
  var signedInAs = document.getElementById("signed-in-as");

  function showSession(state) {
    if (!state || !state.demo_mode) { return; }
    demoSection.hidden = false;
    signedOutBox.hidden = !!state.signed_in;
    signedInBox.hidden = !state.signed_in;
    signedInAs.textContent = state.signed_in
      ? "Signed in as " + state.display_name + " (made-up demo person)."
      : "";
  }

  function loadDemoPeople() {
    fetch("/api/demo/people", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { people: [] }; })
      .then(function (data) {
        while (demoSelect.firstChild) { demoSelect.removeChild(demoSelect.firstChild); }
        (data.people || []).forEach(function (person) {
          var option = document.createElement("option");
          option.value = person.case_ref;
          option.textContent = person.display_name + (person.situation ? " - " + person.situation : "");
          demoSelect.appendChild(option);
        });
      })
      .catch(function () { /* demo list unavailable: leave it empty */ });
  }

  document.getElementById("demo-signin").addEventListener("click", function () {
    if (!demoSelect.value) { return; }
    postJson("/api/demo/signin", { case_ref: demoSelect.value }).then(function (result) {
      if (result.ok) {
        showSession(result.data);
      } else {
        addEntry({ from: "error", text: result.data.error || FALLBACK_ERROR });
      }
    });
  });

  document.getElementById("signout").addEventListener("click", function () {
    postJson("/api/signout", {}).then(function (result) {
      if (result.ok) {
        clearConversation();
        showSession(result.data);
      }
    });
  });

  // ---- start up ----
  try {
    var savedChoice = window.sessionStorage.getItem(CHOICE_KEY);
    if (savedChoice && AUDIENCE_FOR_CHOICE[savedChoice]) { whoSelect.value = savedChoice; }
  } catch (e) { /* ignore */ }
  conversation.forEach(renderEntry);

  fetch("/api/session", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (state) {
      if (state.demo_mode) { loadDemoPeople(); }
      showSession(state);
    })
    .catch(function () { /* page still works without session info */ });
})();
