// Adviser console: the queue refreshes whenever the server says something changed.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
let current = null;   // the question id on screen

// The server ends a login after a while without anything the adviser does. Refreshes the page
// makes by itself say so (X-Adviceline-Background), unless the adviser used the page in the
// last minute: an unattended screen is logged out, one in use is not.
let lastInput = Date.now();
const byItself = () => Date.now() - lastInput > 60_000;
["pointerdown", "keydown", "wheel", "touchstart"].forEach((kind) =>
  document.addEventListener(kind, () => { lastInput = Date.now(); }, { passive: true, capture: true }));

async function api(path, options = {}) {
  const background = options.background && byItself() ? { "X-Adviceline-Background": "1" } : {};
  const response = await fetch(path, {
    method: options.method, body: options.body, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, ...background, ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) { location.href = "/login?next=/console"; throw new Error("login"); }
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
  return body;
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// One of many crisis messages from one address or conversation: queued as ordinary, shown apart.
function flood(q) {
  return q.flood ? "MOGELIJKE FLOOD · " : "";
}

function waited(minutes) {
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} uur`;
  return `${Math.round(minutes / 1440)} dagen`;
}

async function refreshQueue(background = false) {
  const { questions } = await api("/console/api/queue", { background });
  const list = $("queue");
  list.replaceChildren();
  $("queue-empty").hidden = questions.length > 0;
  showOffer(questions.find((q) => q.offered_to_me));
  for (const q of questions) {
    const li = element("li", q.crisis ? "crisis" : q.concern ? "concern" : q.flood ? "flood" : "");
    li.dataset.question = q.id;
    const button = element("button", "link");
    button.type = "button";
    button.textContent = `${q.crisis ? "CRISIS · " : q.concern ? "ZORG · " : ""}${flood(q)}${q.offered_to_me ? "AAN JOU AANGEBODEN · " : ""}${q.parent_waiting ? "ouder wacht in de chat · " : ""}${q.municipality_name || "onbekende gemeente"} · ${waited(q.waiting_minutes)} · ${q.status === "claimed" ? "opgepakt door " + q.claimed_by_name : "wacht"}${q.undelivered ? " · niet afgeleverd" : ""}`;
    button.addEventListener("click", () => open(q.id));
    li.appendChild(button);
    li.appendChild(element("p", "preview", q.preview));
    list.appendChild(li);
  }
}

let offered = null;   // the question offered to this adviser, if any

function showOffer(q) {
  offered = q ? q.id : null;
  $("offer").hidden = !q;
  if (!q) return;
  $("offer-text").textContent = `Vraag voor jou: ${q.crisis ? "CRISIS · " : q.concern ? "ZORG · " : ""}${flood(q)}${q.municipality_name || "onbekende gemeente"} · wacht ${waited(q.waiting_minutes)}`;
  // A browser notification while the console is open but not looked at.
  if (document.hidden && "Notification" in window && Notification.permission === "granted") {
    new Notification("Advieslijn: een vraag voor jou", { tag: `offer-${q.id}` });
  }
}

async function answerOffer(how) {
  if (!offered) return;
  const id = offered;
  try {
    await api(`/console/api/questions/${id}/${how}`, { method: "POST" });
    if (how === "accept") await open(id);
  } catch (error) { $("offer-text").textContent = error.message; }
  refreshQueue().catch(() => {});
}

// Calls while on call (a crisis, a question nobody took, one close to its promised time).
const onCallReasons = { crisis: "crisis", untaken: "niemand heeft hem opgepakt", deadline: "bijna de beloofde antwoordtijd" };
const announced = new Set();

async function refreshOnCall(background = false) {
  const { notices } = await api("/console/api/on-call", { background });
  const list = $("on-call-list");
  list.replaceChildren();
  $("on-call").hidden = notices.length === 0;
  for (const n of notices) {
    const li = element("li", n.crisis ? "crisis" : "");
    const label = `${n.crisis ? "CRISIS · " : ""}${n.municipality_name || "onbekende gemeente"} · ${onCallReasons[n.reason] || n.reason} · wacht ${waited(n.waiting_minutes)} · ${n.status === "waiting" ? "nog niet opgepakt" : n.status === "claimed" ? "inmiddels opgepakt" : "afgesloten"}`;
    const show = element("button", "link", label);
    show.type = "button";
    show.addEventListener("click", () => open(n.question_id));
    const seen = element("button", "secondary", "Gezien");
    seen.type = "button";
    seen.addEventListener("click", () => api(`/console/api/on-call/${n.id}/seen`, { method: "POST", body: "{}" }).then(() => refreshOnCall()));
    li.append(show, seen);
    list.appendChild(li);
    if (!announced.has(n.id) && "Notification" in window && Notification.permission === "granted") {
      new Notification(n.crisis ? "Advieslijn: CRISIS, je bent opgeroepen" : "Advieslijn: je bent opgeroepen", { tag: `on-call-${n.id}`, requireInteraction: n.crisis });
    }
    announced.add(n.id);
  }
}

async function refreshPresence(background = false) {
  const { status } = await api("/console/api/presence", { background });
  if (status) $("presence").value = status;
}

async function open(questionId, background = false) {
  current = questionId;
  const data = await api(`/console/api/questions/${questionId}`, { background });
  const q = data.question;
  $("conversation").hidden = false;
  $("conversation-hint").hidden = true;
  $("question-meta").textContent = `${q.crisis ? "CRISIS (" + q.crisis_category + ") · " : q.concern ? "ZORG, mogelijk risico (" + q.crisis_category + ") · " : ""}${q.flood ? "MOGELIJKE FLOOD: een van veel crisismeldingen van hetzelfde adres of uit dit gesprek (" + q.crisis_category + "); lees zelf of het echt is · " : ""}${q.municipality_name || "onbekende gemeente"} · kanaal ${q.channel} · status ${q.status}${q.claimed_by_name ? " · " + q.claimed_by_name : ""}`;
  const list = $("messages");
  list.replaceChildren();
  for (const m of data.messages) {
    const li = element("li", `${m.sender} ${m.kind}`);
    li.appendChild(element("span", "author", `${m.sender === "adviser" ? m.author : m.sender} · ${new Date(m.created_at).toLocaleString("nl-NL")}`));
    li.appendChild(element("p", "", m.text));
    if (m.delivery) li.appendChild(element("span", `delivery ${m.delivery.status}`, deliveryText(m.delivery)));
    if (m.decision) {
      const d = m.decision;
      li.appendChild(element("span", "decision", `FAQ: ${d.decision} · ${d.entry || "-"} (${Number(d.score).toFixed(0)})${d.runner_up ? " · daarna " + d.runner_up.entry + " (" + Number(d.runner_up.score).toFixed(0) + ")" : ""}`));
    }
    if (m.sender === "parent") li.appendChild(crisisMarkBox(questionId, m, data.crisis_categories));
    list.appendChild(li);
  }
  // Transfer notes: for advisers only, the parent never sees them.
  const notes = $("notes");
  notes.replaceChildren();
  for (const n of data.notes) {
    notes.appendChild(element("li", "note", `Overgedragen door ${n.from || "?"} aan ${n.to || "?"} (${new Date(n.at).toLocaleString("nl-NL")}): ${n.note}`));
  }
  const to = $("transfer-to");
  if (to.options.length === 0) {
    data.transfer_targets.advisers.forEach((a) => to.appendChild(new Option(`collega: ${a.name}`, `adviser:${a.username}`)));
    data.transfer_targets.desks.forEach((d) => to.appendChild(new Option(`balie: ${d.name}`, `desk:${d.id}`)));
  }
  $("transfer-form").hidden = q.status !== "claimed";
  const select = $("topic");
  if (select.options.length === 0) data.topics.forEach((topic) => select.appendChild(new Option(topic, topic)));
  if (q.topic) select.value = q.topic;
  const erasedBy = { parent: "door de ouder", adviser: "op verzoek van de ouder", retention: "na de bewaartermijn" };
  $("erased").hidden = !data.erased;
  $("erased").textContent = data.erased ? `Dit gesprek is verwijderd ${erasedBy[data.erased.by] || ""} (${new Date(data.erased.at).toLocaleString("nl-NL")}); de berichten zijn gewist.` : "";
  $("erase").hidden = Boolean(data.erased);
  $("erase-confirm").hidden = true;
  $("claim").hidden = q.status !== "waiting";
  $("release").hidden = q.status !== "claimed";
  $("reply-form").hidden = q.status !== "claimed";
  $("close-form").hidden = q.status !== "claimed";
}

// "Was a crisis" / "was not a crisis": the advisers' marks teach the crisis detector.
function crisisMarkBox(questionId, message, categories) {
  const box = element("div", "crisis-mark");
  const mark = message.crisis_mark;
  const said = mark ? (mark.label === "crisis" ? `gemarkeerd: crisis (${mark.category})` : "gemarkeerd: geen crisis") : "";
  const status = element("span", "crisis-mark-status", said);
  const select = element("select");
  select.setAttribute("aria-label", "soort crisis");
  categories.forEach((c) => select.appendChild(new Option(c, c)));
  if (mark && mark.category) select.value = mark.category;
  const send = async (label) => {
    try {
      await api(`/console/api/questions/${questionId}/messages/${message.seq}/crisis-mark`,
        { method: "POST", body: JSON.stringify({ label, category: label === "crisis" ? select.value : null }) });
      status.textContent = label === "crisis" ? `gemarkeerd: crisis (${select.value})` : "gemarkeerd: geen crisis";
    } catch (error) { $("error").textContent = error.message; }
  };
  const yes = element("button", "mark-crisis", "Was een crisis");
  yes.type = "button"; yes.addEventListener("click", () => send("crisis"));
  const no = element("button", "mark-not-crisis", "Was geen crisis");
  no.type = "button"; no.addEventListener("click", () => send("not_crisis"));
  box.append(select, yes, no, status);
  return box;
}

async function act(action, body) {
  $("error").textContent = "";
  try {
    await api(`/console/api/questions/${current}/${action}`, { method: "POST", body: JSON.stringify(body || {}) });
    await Promise.all([refreshQueue(), open(current)]);
  } catch (error) { $("error").textContent = error.message; }
}

// Push channels (e-mail): what did not reach the parent, and what could not be read.
function deliveryText(d) {
  if (d.status === "delivered") return "afgeleverd";
  if (d.status === "skipped") return "niet via dit kanaal verstuurd";
  if (d.status === "failed") return `NIET AFGELEVERD: ${d.reason || "onbekende reden"}`;
  return d.attempts ? `wordt nog verstuurd (${d.attempts} pogingen; ${d.reason || ""})` : "wordt verstuurd";
}

async function refreshChannels(background = false) {
  const [{ items: failed }, { items: held }, { items: stuck }] = await Promise.all([
    api("/console/api/undelivered", { background }), api("/console/api/quarantine", { background }),
    api("/console/api/set-aside", { background })]);
  const stuckList = $("set-aside");
  stuckList.replaceChildren();
  for (const item of stuck) {
    const li = element("li", "failed");
    li.appendChild(element("span", "", `${new Date(item.received_at).toLocaleString("nl-NL")} · ${item.channel} · ${item.municipality || "onbekende gemeente"} · ${item.attempts} pogingen · ${item.error || ""} `));
    li.appendChild(element("p", "preview", item.preview));
    const retry = element("button", "", "Opnieuw proberen");
    retry.type = "button";
    retry.addEventListener("click", () => api(`/console/api/set-aside/${item.id}/retry`, { method: "POST", body: "{}" }).then(() => refreshChannels()));
    li.appendChild(retry);
    stuckList.appendChild(li);
  }
  const failedList = $("undelivered");
  failedList.replaceChildren();
  for (const item of failed) {
    const li = element("li", "failed");
    li.appendChild(element("span", "", `${item.channel} · ${new Date(item.created_at).toLocaleString("nl-NL")} · ${item.reason || ""} `));
    if (item.question_id) {
      const view = element("button", "link", "vraag bekijken");
      view.type = "button";
      view.addEventListener("click", () => open(item.question_id));
      li.appendChild(view);
    }
    const retry = element("button", "", "Opnieuw versturen");
    retry.type = "button";
    retry.addEventListener("click", () => api(`/console/api/deliveries/${item.id}/retry`, { method: "POST", body: "{}" }).then(() => refreshChannels()));
    li.appendChild(retry);
    failedList.appendChild(li);
  }
  const heldList = $("quarantine");
  heldList.replaceChildren();
  for (const item of held) {
    const li = element("li", "held");
    li.appendChild(element("span", "", `${new Date(item.received_at).toLocaleString("nl-NL")} · ${item.sender || "onbekende afzender"} · ${item.reason} `));
    const download = element("a", "", "downloaden");
    download.href = `/console/api/quarantine/${item.id}/raw`;
    li.appendChild(download);
    const dismiss = element("button", "", "Afgehandeld");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => api(`/console/api/quarantine/${item.id}/dismiss`, { method: "POST", body: "{}" }).then(() => refreshChannels()));
    li.appendChild(dismiss);
    heldList.appendChild(li);
  }
}

function live() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/console/ws`);
  socket.addEventListener("open", () => { $("live").textContent = "live"; });
  socket.addEventListener("message", () => {
    refreshQueue(true).catch(() => {});
    refreshPresence(true).catch(() => {});
    refreshOnCall(true).catch(() => {});
    refreshChannels(true).catch(() => {});
    if (current) open(current, true).catch(() => {});
  });
  socket.addEventListener("close", () => {
    $("live").textContent = "opnieuw verbinden…";
    refreshQueue(true).catch(() => {});   // a 401 (the login ended) goes to the login page
    setTimeout(live, 2000);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("claim").addEventListener("click", () => act("claim"));
  $("offer-accept").addEventListener("click", () => answerOffer("accept"));
  $("offer-decline").addEventListener("click", () => answerOffer("decline"));
  $("presence").addEventListener("change", async () => {
    await api("/console/api/presence", { method: "POST", body: JSON.stringify({ status: $("presence").value }) });
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
    refreshQueue().catch(() => {});
  });
  // On call the console may sit in a background tab: a browser notification says "you are called".
  if ("Notification" in window && Notification.permission === "default") {
    $("notify-me").hidden = false;
    $("notify-me").addEventListener("click", async () => {
      await Notification.requestPermission();
      $("notify-me").hidden = Notification.permission !== "default";
    });
  }
  // Erasing needs a second, explicit click.
  $("erase").addEventListener("click", () => { $("erase-confirm").hidden = false; });
  $("erase-no").addEventListener("click", () => { $("erase-confirm").hidden = true; });
  $("erase-yes").addEventListener("click", () => act("erase"));
  $("release").addEventListener("click", () => act("release"));
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return;
    await act("reply", { text });
    if (!$("error").textContent) $("reply").value = "";
  });
  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [kind, target] = $("transfer-to").value.split(/:(.*)/s);
    const body = { note: $("transfer-note").value, ...(kind === "adviser" ? { to_adviser: target } : { to_desk: target }) };
    await act("transfer", body);
    if (!$("error").textContent) $("transfer-note").value = "";
  });
  $("close-form").addEventListener("submit", (event) => { event.preventDefault(); act("close", { topic: $("topic").value }); });
  refreshQueue();
  refreshChannels().catch(() => {});
  refreshPresence().catch(() => {});
  refreshOnCall().catch(() => {});
  live();
});
