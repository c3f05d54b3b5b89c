// Adviser console: the queue refreshes whenever the server says something changed.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
let current = null;   // the question id on screen

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, ...(options.headers || {}) },
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

function waited(minutes) {
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} uur`;
  return `${Math.round(minutes / 1440)} dagen`;
}

async function refreshQueue() {
  const { questions } = await api("/console/api/queue");
  const list = $("queue");
  list.replaceChildren();
  $("queue-empty").hidden = questions.length > 0;
  for (const q of questions) {
    const li = element("li", q.crisis ? "crisis" : "");
    li.dataset.question = q.id;
    const button = element("button", "link");
    button.type = "button";
    button.textContent = `${q.crisis ? "CRISIS · " : ""}${q.municipality_name || "onbekende gemeente"} · ${waited(q.waiting_minutes)} · ${q.status === "claimed" ? "opgepakt door " + q.claimed_by_name : "wacht"}`;
    button.addEventListener("click", () => open(q.id));
    li.appendChild(button);
    li.appendChild(element("p", "preview", q.preview));
    list.appendChild(li);
  }
}

async function open(questionId) {
  current = questionId;
  const data = await api(`/console/api/questions/${questionId}`);
  const q = data.question;
  $("conversation").hidden = false;
  $("conversation-hint").hidden = true;
  $("question-meta").textContent = `${q.crisis ? "CRISIS (" + q.crisis_category + ") · " : ""}${q.municipality_name || "onbekende gemeente"} · kanaal ${q.channel} · status ${q.status}${q.claimed_by_name ? " · " + q.claimed_by_name : ""}`;
  const list = $("messages");
  list.replaceChildren();
  for (const m of data.messages) {
    const li = element("li", `${m.sender} ${m.kind}`);
    li.appendChild(element("span", "author", `${m.sender === "adviser" ? m.author : m.sender} · ${new Date(m.created_at).toLocaleString("nl-NL")}`));
    li.appendChild(element("p", "", m.text));
    if (m.decision) {
      const d = m.decision;
      li.appendChild(element("span", "decision", `FAQ: ${d.decision} · ${d.entry || "-"} (${Number(d.score).toFixed(0)})${d.runner_up ? " · daarna " + d.runner_up.entry + " (" + Number(d.runner_up.score).toFixed(0) + ")" : ""}`));
    }
    list.appendChild(li);
  }
  const select = $("topic");
  if (select.options.length === 0) data.topics.forEach((topic) => select.appendChild(new Option(topic, topic)));
  if (q.topic) select.value = q.topic;
  $("claim").hidden = q.status !== "waiting";
  $("release").hidden = q.status !== "claimed";
  $("reply-form").hidden = q.status !== "claimed";
  $("close-form").hidden = q.status !== "claimed";
}

async function act(action, body) {
  $("error").textContent = "";
  try {
    await api(`/console/api/questions/${current}/${action}`, { method: "POST", body: JSON.stringify(body || {}) });
    await Promise.all([refreshQueue(), open(current)]);
  } catch (error) { $("error").textContent = error.message; }
}

function live() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/console/ws`);
  socket.addEventListener("open", () => { $("live").textContent = "live"; });
  socket.addEventListener("message", () => {
    refreshQueue().catch(() => {});
    if (current) open(current).catch(() => {});
  });
  socket.addEventListener("close", () => { $("live").textContent = "opnieuw verbinden…"; setTimeout(live, 2000); });
}

document.addEventListener("DOMContentLoaded", () => {
  $("claim").addEventListener("click", () => act("claim"));
  $("release").addEventListener("click", () => act("release"));
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return;
    await act("reply", { text });
    if (!$("error").textContent) $("reply").value = "";
  });
  $("close-form").addEventListener("submit", (event) => { event.preventDefault(); act("close", { topic: $("topic").value }); });
  refreshQueue();
  live();
});
