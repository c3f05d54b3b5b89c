// The parent's chat page. The conversation token lives in this browser's localStorage only and
// travels in the websocket's first frame, never in a URL. Messages typed while offline wait in
// a local outbox and are resent (same client_id, so stored once) until the server acknowledges.
"use strict";

const TEXTS = {
  nl: {
    title: "Vraag het de advieslijn", emergency: "Direct gevaar? Bel 112. Zorgen over geweld thuis: Veilig Thuis 0800-2000 (gratis, dag en nacht).",
    intro: "Stel je vraag over opvoeden of opgroeien. Je krijgt meteen een antwoord uit onze kennisbank, of een pedagogisch adviseur van het CJG reageert. Je hoeft je naam niet te geven.",
    municipality: "Je gemeente", choose: "Kies je gemeente…", postcode: "of je postcode", begin: "Begin het gesprek",
    "your-question": "Je vraag", placeholder: "Typ je vraag…", send: "Verstuur", new: "Nieuw gesprek beginnen",
    connecting: "Verbinden…", connected: "", offline: "Geen verbinding. Je berichten worden verstuurd zodra er weer verbinding is.",
    helped: "Ja", notHelped: "Nee, ik wil een adviseur", adviser: "Stel mijn vraag aan een adviseur",
    thanksYes: "Je gaf aan dat dit hielp.", thanksNo: "Je vraag gaat naar een adviseur.", pending: "wordt verstuurd…",
    confirmNew: "Een nieuw gesprek beginnen? Dit gesprek is dan niet meer te zien in deze browser.",
    needPlace: "Kies je gemeente of vul je postcode in.", adviserName: "Adviseur",
  },
  en: {
    title: "Ask the advice line", emergency: "In immediate danger? Call 112. Worried about violence at home: Veilig Thuis 0800-2000 (free, day and night).",
    intro: "Ask your question about parenting. You get an answer from our knowledge base at once, or a CJG adviser replies. You do not need to give your name.",
    municipality: "Your municipality", choose: "Choose your municipality…", postcode: "or your postcode", begin: "Start the conversation",
    "your-question": "Your question", placeholder: "Type your question…", send: "Send", new: "Start a new conversation",
    connecting: "Connecting…", connected: "", offline: "No connection. Your messages will be sent once you are back online.",
    helped: "Yes", notHelped: "No, I want an adviser", adviser: "Ask an adviser",
    thanksYes: "You said this helped.", thanksNo: "Your question goes to an adviser.", pending: "sending…",
    confirmNew: "Start a new conversation? This one will no longer show in this browser.",
    needPlace: "Choose your municipality or enter your postcode.", adviserName: "Adviser",
  },
};

const KEY = { token: "adviceline.token", outbox: "adviceline.outbox", language: "adviceline.language" };
let language = localStorage.getItem(KEY.language) || "nl";
let socket = null;
let lastSeq = 0;
let retryMs = 500;
const shown = new Map();   // seq -> <li>

const $ = (id) => document.getElementById(id);
const t = (key) => (key in TEXTS[language] ? TEXTS[language][key] : key);

function outbox() { return JSON.parse(localStorage.getItem(KEY.outbox) || "[]"); }
function saveOutbox(items) { localStorage.setItem(KEY.outbox, JSON.stringify(items)); }

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function translate() {
  document.documentElement.lang = language;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll("[data-t-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.tPlaceholder); });
  $("language").textContent = language === "nl" ? "English" : "Nederlands";
  $("language").lang = language === "nl" ? "en" : "nl";
}

// A small, safe renderer: paragraphs, "- " bullets and **bold**; everything else is text.
function renderText(container, text) {
  let list = null;
  for (const line of text.split("\n")) {
    if (/^\s*[-*] /.test(line)) {
      if (!list) { list = document.createElement("ul"); container.appendChild(list); }
      const item = document.createElement("li"); inline(item, line.replace(/^\s*[-*] /, "")); list.appendChild(item);
    } else if (line.trim() === "") { list = null; }
    else { list = null; const p = document.createElement("p"); inline(p, line.replace(/^#+\s*/, "")); container.appendChild(p); }
  }
}
function inline(el, text) {
  text.split(/(\*\*[^*]+\*\*)/).forEach((part) => {
    if (part.startsWith("**") && part.endsWith("**")) { const b = document.createElement("strong"); b.textContent = part.slice(2, -2); el.appendChild(b); }
    else el.appendChild(document.createTextNode(part));
  });
}

function bubble(message) {
  const li = document.createElement("li");
  li.className = `${message.sender} ${message.kind || ""}`;
  li.dataset.seq = message.seq;
  if (message.sender === "adviser") {
    const who = document.createElement("span"); who.className = "author";
    who.textContent = message.author || t("adviserName"); li.appendChild(who);
  }
  renderText(li, message.text);
  const actions = message.actions || {};
  if (message.kind === "faq_answer") li.appendChild(feedbackBox(message));
  if (message.kind === "suggestions") {
    (actions.suggestions || []).forEach((option) => {
      const b = document.createElement("button"); b.type = "button"; b.className = "choice";
      b.textContent = option.title; b.addEventListener("click", () => send({ type: "choice", entry: option.entry }));
      li.appendChild(b);
    });
    const ask = document.createElement("button"); ask.type = "button"; ask.className = "choice";
    ask.textContent = t("adviser"); ask.addEventListener("click", () => send({ type: "adviser" }));
    li.appendChild(ask);
  }
  return li;
}

function feedbackBox(message) {
  const box = document.createElement("div"); box.className = "feedback";
  const given = (message.actions || {}).feedback;
  if (given) { box.textContent = given === "yes" ? t("thanksYes") : t("thanksNo"); return box; }
  const label = document.createElement("span"); label.textContent = message.actions.prompt || ""; box.appendChild(label);
  [["helped", true], ["notHelped", false]].forEach(([key, helpful]) => {
    const b = document.createElement("button"); b.type = "button"; b.textContent = t(key);
    b.addEventListener("click", () => {
      send({ type: "feedback", seq: message.seq, helpful });
      box.textContent = helpful ? t("thanksYes") : t("thanksNo");
    });
    box.appendChild(b);
  });
  return box;
}

function show(message) {
  if (shown.has(message.seq)) return;
  const pending = message.client_id && document.querySelector(`li.pending[data-client="${CSS.escape(message.client_id)}"]`);
  const li = bubble(message);
  if (pending) pending.replaceWith(li); else $("messages").appendChild(li);
  shown.set(message.seq, li);
  lastSeq = Math.max(lastSeq, message.seq);
  li.scrollIntoView({ block: "end" });
}

function showPending(item) {
  if (document.querySelector(`li.pending[data-client="${CSS.escape(item.client_id)}"]`)) return;
  const li = document.createElement("li"); li.className = "parent pending"; li.dataset.client = item.client_id;
  renderText(li, item.text);
  const note = document.createElement("span"); note.className = "author"; note.textContent = t("pending"); li.appendChild(note);
  $("messages").appendChild(li);
}

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

function connect() {
  const token = localStorage.getItem(KEY.token);
  if (!token) return startScreen();
  $("start").hidden = true; $("chat").hidden = false;
  $("status").textContent = t("connecting");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/api/v1/conversation/ws`);
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "hello", token, last_seq: lastSeq })));
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "ready") {
      retryMs = 500; $("status").textContent = t("connected");
      outbox().forEach((item) => send({ type: "message", client_id: item.client_id, text: item.text }));
    } else if (frame.type === "message") {
      show(frame);
    } else if (frame.type === "ack") {
      saveOutbox(outbox().filter((item) => item.client_id !== frame.client_id));
    } else if (frame.type === "error") {
      if (frame.code === "unknown_token") { localStorage.removeItem(KEY.token); saveOutbox([]); return startScreen(); }
      if (frame.client_id) saveOutbox(outbox().filter((item) => item.client_id !== frame.client_id));
      $("status").textContent = frame.message;
    }
  });
  socket.addEventListener("close", () => {
    socket = null;
    if (!localStorage.getItem(KEY.token)) return;
    $("status").textContent = t("offline");
    setTimeout(connect, retryMs); retryMs = Math.min(retryMs * 2, 15000);
  });
}

async function startScreen() {
  $("chat").hidden = true; $("start").hidden = false;
  const select = $("municipality");
  if (select.options.length <= 1) {
    const response = await fetch("/api/v1/municipalities");
    const body = await response.json();
    body.municipalities.forEach((m) => select.appendChild(new Option(m.name, m.id)));
  }
}

async function begin(event) {
  event.preventDefault();
  const place = $("postcode").value.trim() || $("municipality").value;
  $("start-error").textContent = "";
  if (!place) { $("start-error").textContent = t("needPlace"); return; }
  const response = await fetch("/api/v1/conversations", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ municipality: place, language }),
  });
  const body = await response.json();
  if (!response.ok) { $("start-error").textContent = body.error.message; return; }
  localStorage.setItem(KEY.token, body.token);
  connect();
}

function submit(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  const item = { client_id: newId(), text };
  saveOutbox([...outbox(), item]);
  showPending(item);
  send({ type: "message", client_id: item.client_id, text });
  $("text").value = "";
}

function restart() {
  if (!confirm(t("confirmNew"))) return;
  localStorage.removeItem(KEY.token); saveOutbox([]);
  if (socket) socket.close();
  $("messages").replaceChildren(); shown.clear(); lastSeq = 0;
  startScreen();
}

document.addEventListener("DOMContentLoaded", () => {
  translate();
  $("language").addEventListener("click", () => {
    language = language === "nl" ? "en" : "nl"; localStorage.setItem(KEY.language, language); translate();
  });
  $("start-form").addEventListener("submit", begin);
  $("send-form").addEventListener("submit", submit);
  $("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("send-form").requestSubmit(); } });
  $("new-conversation").addEventListener("click", restart);
  outbox().forEach(showPending);
  connect();
});
