// The parent's chat page. The conversation token lives in this browser's localStorage only and
// travels in the websocket's first frame, never in a URL.
//
// Everything the parent does (a typed message, "did this help?", a suggestion, "ask an adviser")
// goes into one durable outbox in localStorage with its own client_id. It is (re)sent whenever a
// connection is ready and stays there, shown as pending, until the server confirms it with an ack
// (the server stores a resend with the same client_id once). Nothing the page shows as done has
// not been confirmed.
"use strict";

const TEXTS = {
  nl: {
    title: "Vraag het de advieslijn", emergency: "Direct gevaar? Bel 112. Zorgen over geweld thuis: Veilig Thuis 0800-2000 (gratis, dag en nacht).",
    municipality: "Je gemeente", choose: "Kies je gemeente…", postcode: "of je postcode", begin: "Begin het gesprek",
    "your-question": "Je vraag", placeholder: "Typ je vraag…", send: "Verstuur", new: "Nieuw gesprek beginnen",
    connecting: "Verbinden…", connected: "", offline: "Geen verbinding. Wat je verstuurt, gaat vanzelf weg zodra er weer verbinding is.",
    helped: "Ja", notHelped: "Nee, ik wil een adviseur", helpedPrompt: "Heeft dit je geholpen?", adviser: "Stel mijn vraag aan een adviseur",
    thanksYes: "Je gaf aan dat dit hielp.", thanksNo: "Je vraag gaat naar een adviseur.", pending: "wordt verstuurd…",
    chosen: "Je koos:", chosenAdviser: "Je koos voor een adviseur.",
    confirmNew: "Een nieuw gesprek beginnen? Dit gesprek is dan niet meer te zien in deze browser.",
    needPlace: "Kies je gemeente of vul je postcode in.", adviserName: "Adviseur",
    newMessage: "Nieuw bericht ↓",
    errConflict: "Dit kan niet meer: er is intussen al iets anders gekozen of de vraag is afgesloten.",
    errInvalid: "Dit kon niet worden verstuurd.", errGeneric: "Dat lukte niet. Probeer het opnieuw.",
    notSent: "Niet verstuurd:",
    regionLine: "Voor ouders en opvoeders in {region}.",
    howFaq: "Herkennen we je vraag, dan krijg je meteen een antwoord uit onze kennisbank.",
    howAdviser: "Anders leest een pedagogisch adviseur van het CJG van je gemeente je vraag. Als de adviseurs aan het werk zijn, reageren ze meestal binnen {minutes} minuten; daarbuiten zie je meteen wanneer je antwoord komt.",
    howAnonymous: "Anoniem: je hoeft geen naam, e-mailadres of telefoonnummer te geven.",
    hoursRegion: "Ons regionale team: {hours}.",
    hoursOwn: "Adviseurs van {name}: {hours}.",
    welcome: "Welkom bij de advieslijn van {place}. Typ hieronder je vraag. Je hoeft je naam niet te geven.",
    welcomeRegion: "de regio {region}",
    notifyOn: "Laat het me weten als er een antwoord is", notifyOff: "Meldingen uitzetten",
    notifyState: "Je krijgt een melding op dit apparaat als er een antwoord is (zonder de inhoud).",
    notifyDenied: "Je browser staat meldingen voor deze site niet toe. Je kunt dat in de instellingen van je browser veranderen.",
    answerTitle: "Nieuw antwoord", answerBody: "Er is een antwoord op je vraag. Tik om het te lezen.",
    resumeMake: "Verder op een ander apparaat",
    resumeExplain: "Typ deze code op je andere telefoon of computer bij ‘Heb je een code?’. Bewaar hem goed: wie de code heeft, kan dit gesprek lezen. Maak je een nieuwe code, dan werkt de oude niet meer.",
    resumeHave: "Heb je een code?", resumeLabel: "Ga verder met je gesprek van een ander apparaat",
    resumeGo: "Verder met mijn gesprek",
    erase: "Gesprek verwijderen", eraseYes: "Ja, verwijder mijn gesprek", eraseNo: "Annuleren",
    eraseExplain: "Je berichten en de antwoorden worden gewist, ook bij de adviseurs en op je andere apparaten. Dit kan niet ongedaan worden gemaakt. Alleen anonieme cijfers blijven bewaard, zoals hoeveel vragen er waren.",
    erased: "Je gesprek is verwijderd.",
  },
  en: {
    title: "Ask the advice line", emergency: "In immediate danger? Call 112. Worried about violence at home: Veilig Thuis 0800-2000 (free, day and night).",
    municipality: "Your municipality", choose: "Choose your municipality…", postcode: "or your postcode", begin: "Start the conversation",
    "your-question": "Your question", placeholder: "Type your question…", send: "Send", new: "Start a new conversation",
    connecting: "Connecting…", connected: "", offline: "No connection. What you send goes out by itself once you are back online.",
    helped: "Yes", notHelped: "No, I want an adviser", helpedPrompt: "Did this help?", adviser: "Ask an adviser",
    thanksYes: "You said this helped.", thanksNo: "Your question goes to an adviser.", pending: "sending…",
    chosen: "You chose:", chosenAdviser: "You chose an adviser.",
    confirmNew: "Start a new conversation? This one will no longer show in this browser.",
    needPlace: "Choose your municipality or enter your postcode.", adviserName: "Adviser",
    newMessage: "New message ↓",
    errConflict: "This is no longer possible: something else was chosen meanwhile or the question was closed.",
    errInvalid: "This could not be sent.", errGeneric: "That did not work. Please try again.",
    notSent: "Not sent:",
    regionLine: "For parents and carers in {region}.",
    howFaq: "If we recognise your question, you get an answer from our knowledge base at once.",
    howAdviser: "Otherwise a CJG parenting adviser of your municipality reads it. While advisers are at work they usually answer within {minutes} minutes; at other times you see at once when your answer will come.",
    howAnonymous: "Anonymous: you do not need to give a name, e-mail address or phone number.",
    hoursRegion: "Our regional team: {hours}.",
    hoursOwn: "Advisers of {name}: {hours}.",
    welcome: "Welcome to the advice line of {place}. Type your question below. You do not need to give your name.",
    welcomeRegion: "the {region} region",
    notifyOn: "Let me know when there is an answer", notifyOff: "Turn notifications off",
    notifyState: "You get a notification on this device when there is an answer (without its content).",
    notifyDenied: "Your browser does not allow notifications for this site. You can change that in your browser's settings.",
    answerTitle: "New answer", answerBody: "There is an answer to your question. Tap to read it.",
    resumeMake: "Continue on another device",
    resumeExplain: "Type this code on your other phone or computer under ‘Do you have a code?’. Keep it safe: whoever has the code can read this conversation. If you make a new code, the old one stops working.",
    resumeHave: "Do you have a code?", resumeLabel: "Continue your conversation from another device",
    resumeGo: "Continue my conversation",
    erase: "Delete this conversation", eraseYes: "Yes, delete my conversation", eraseNo: "Cancel",
    eraseExplain: "Your messages and the answers are wiped, also for the advisers and on your other devices. This cannot be undone. Only anonymous figures are kept, such as how many questions there were.",
    erased: "Your conversation has been deleted.",
  },
};

const KEY = { token: "adviceline.token", outbox: "adviceline.outbox", language: "adviceline.language",
  notify: "adviceline.notify" };
const HEARTBEAT_MS = 15000;   // a ping this often while connected...
const PONG_WAIT_MS = 8000;    // ...and a connection that does not answer within this is gone
let language = localStorage.getItem(KEY.language) || "nl";
let socket = null;
let ready = false;
let lastSeq = 0;
let retryMs = 500;
let liveFrom = Infinity;     // messages with a higher seq arrived while the page was open
let retryTimer = null;
let heartbeat = null;
let pongTimer = null;
let rateTimer = null;       // resends the outbox after a rate_limited error frame
const shown = new Map();   // seq -> <li>

let service = null;          // GET /api/v1/municipalities: region, hours, answer time
let municipality = null;     // this conversation's municipality id

const $ = (id) => document.getElementById(id);
const t = (key, vars = {}) => (key in TEXTS[language] ? TEXTS[language][key] : key)
  .replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? vars[name] : whole));

function outbox() {
  try { return JSON.parse(localStorage.getItem(KEY.outbox) || "[]"); } catch { return []; }
}
function saveOutbox(items) { localStorage.setItem(KEY.outbox, JSON.stringify(items)); }
function removeFromOutbox(clientId) {
  const items = outbox();
  const found = items.find((item) => item.client_id === clientId);
  saveOutbox(items.filter((item) => item.client_id !== clientId));
  return found;
}

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Page texts carry data-t (text) or data-t-placeholder; switching language re-renders them all,
// including the buttons inside messages.
function label(el, key) { el.dataset.t = key; el.textContent = t(key); return el; }

function translate() {
  document.documentElement.lang = language;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  linkNumbers(document.querySelector(".emergency"));
  document.querySelectorAll("[data-t-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.tPlaceholder); });
  $("language").textContent = language === "nl" ? "English" : "Nederlands";
  $("language").lang = language === "nl" ? "en" : "nl";
  describeService();
}

// What the landing page and the empty chat say about the service (region, hours, anonymity).
function describeService() {
  if (!service) return;
  const region = service.region;
  $("region-line").textContent = t("regionLine", { region });
  const how = $("how"); how.replaceChildren();
  [t("howFaq"), t("howAdviser", { minutes: service.answer_within_minutes }), t("howAnonymous")].forEach((line) => {
    const li = document.createElement("li"); li.textContent = line; how.appendChild(li);
  });
  const chosen = service.municipalities.find((m) => m.id === ($("municipality").value || municipality));
  const hours = [];
  if (chosen) hours.push(t("hoursOwn", { name: chosen.name, hours: chosen.desk_hours[language] }));
  hours.push(t("hoursRegion", { hours: service.regional_desk_hours[language] }));
  $("hours").textContent = hours.join(" ");
  const welcome = $("welcome");
  if (welcome) {
    const own = service.municipalities.find((m) => m.id === municipality);
    welcome.replaceChildren();
    const p = document.createElement("p");
    p.textContent = t("welcome", { place: own ? own.name : t("welcomeRegion", { region }) });
    welcome.appendChild(p);
    if (own) { const h = document.createElement("p"); h.className = "hours"; h.textContent = t("hoursOwn", { name: own.name, hours: own.desk_hours[language] }); welcome.appendChild(h); }
  }
}

async function loadService() {
  try {
    const response = await fetch("/api/v1/municipalities");
    service = await response.json();
  } catch { return; }
  const select = $("municipality");
  if (select.options.length <= 1) service.municipalities.forEach((m) => select.appendChild(new Option(m.name, m.id)));
  describeService();
}

function showWelcome() {
  if ($("welcome") || shown.size) return;
  const li = document.createElement("li"); li.id = "welcome"; li.className = "welcome";
  $("messages").prepend(li);
  describeService();
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

function button(key, className) {
  const b = document.createElement("button"); b.type = "button";
  if (className) b.className = className;
  return label(b, key);
}

function errorLine(box) {
  let line = box.querySelector(":scope > .error");
  if (!line) { line = document.createElement("p"); line.className = "error"; line.setAttribute("role", "alert"); box.appendChild(line); }
  return line;
}

// Crisis and concern replies --------------------------------------------------------------------
// Every emergency number is a tap-to-call link and 113's chat a link. The line that fits the
// signal comes first: the pipeline puts the crisis category on the message's actions.

const PHONE_LINKS = [
  [/113\.nl/, () => "https://www.113.nl/"],
  [/0800-2000|0800-0113|0800-0432/, (number) => `tel:${number.replace("-", "")}`],
  [/\b11[23]\b/, (number) => `tel:${number}`],
];
const EMERGENCY = new RegExp(PHONE_LINKS.map(([pattern]) => pattern.source).join("|"), "g");
const FIRST_LINES = {
  suicide_self_harm: ["113", "0800-0113", "112"],
  domestic_violence: ["0800-2000", "112"], child_abuse: ["0800-2000", "112"],
  sexual_abuse: ["0800-2000", "112"], neglect: ["0800-2000", "112"],
  harm_fear: ["0800-2000", "112"], child_in_danger: ["112"], other_acute: ["112", "0800-2000"],
};

function linkNumbers(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  nodes.forEach((node) => {
    const text = node.nodeValue;
    const matches = [...text.matchAll(EMERGENCY)];
    if (!matches.length || node.parentElement.closest("a")) return;
    const parts = document.createDocumentFragment();
    let at = 0;
    for (const match of matches) {
      parts.append(text.slice(at, match.index));
      const [, href] = PHONE_LINKS.find(([pattern]) => new RegExp(`^(?:${pattern.source})$`).test(match[0]));
      const a = document.createElement("a"); a.href = href(match[0]); a.textContent = match[0];
      a.className = a.href.startsWith("tel:") ? "call" : "chat-link";
      if (!a.href.startsWith("tel:")) { a.target = "_blank"; a.rel = "noopener"; }
      parts.append(a);
      at = match.index + match[0].length;
    }
    parts.append(text.slice(at));
    node.replaceWith(parts);
  });
}

function fitFirst(li, category) {
  const order = FIRST_LINES[category];
  if (!order) return;
  li.querySelectorAll("ul").forEach((list) => {
    const rank = (item) => {
      const numbers = [...item.querySelectorAll("a.call")].map((a) => a.textContent);
      const ranks = numbers.map((n) => order.indexOf(n)).filter((r) => r >= 0);
      return ranks.length ? Math.min(...ranks) : order.length;
    };
    const items = [...list.children];
    items.sort((a, b) => rank(a) - rank(b)).forEach((item) => list.appendChild(item));
    items[0]?.classList.add("first-line");
  });
}

function bubble(message) {
  const li = document.createElement("li");
  li.className = `${message.sender} ${message.kind || ""}`;
  li.dataset.seq = message.seq;
  if (message.sender === "adviser") {
    const who = document.createElement("span"); who.className = "author";
    if (message.author) who.textContent = message.author; else label(who, "adviserName");
    li.appendChild(who);
  }
  renderText(li, message.text);
  if (message.kind === "crisis" || message.kind === "concern") {
    li.setAttribute("role", "alert");
    linkNumbers(li);
    fitFirst(li, (message.actions || {}).category);
  }
  if (message.kind === "faq_answer") li.appendChild(feedbackBox(message));
  if (message.kind === "suggestions") li.appendChild(suggestionBox(message));
  return li;
}

// "Did this help?" ------------------------------------------------------------------------------

function feedbackBox(message) {
  const box = document.createElement("div"); box.className = "feedback"; box.dataset.about = message.seq;
  const given = (message.actions || {}).feedback;
  if (given) { box.appendChild(label(document.createElement("span"), given === "yes" ? "thanksYes" : "thanksNo")); return box; }
  box.appendChild(label(document.createElement("span"), "helpedPrompt"));
  [["helped", true], ["notHelped", false]].forEach(([key, helpful]) => {
    const b = button(key); b.dataset.helpful = String(helpful);
    b.addEventListener("click", () => act(box, { type: "feedback", seq: message.seq, helpful }));
    box.appendChild(b);
  });
  return box;
}

// "Is it one of these?" -----------------------------------------------------------------------

function suggestionBox(message) {
  const box = document.createElement("div"); box.className = "suggestions"; box.dataset.about = message.seq;
  const actions = message.actions || {};
  (actions.suggestions || []).forEach((option) => {
    const b = document.createElement("button"); b.type = "button"; b.className = "choice";
    b.textContent = option.title; b.dataset.entry = option.entry;
    b.addEventListener("click", () => act(box, { type: "choice", entry: option.entry }));
    box.appendChild(b);
  });
  const ask = button("adviser", "choice"); ask.dataset.entry = "adviser";
  ask.addEventListener("click", () => act(box, { type: "adviser" }));
  box.appendChild(ask);
  if (actions.chosen) settleSuggestions(box, actions.chosen);
  return box;
}

function settleSuggestions(box, chosen) {
  box.querySelectorAll("button").forEach((b) => {
    b.disabled = true;
    b.classList.toggle("picked", b.dataset.entry === chosen);
  });
  box.querySelector(":scope > .error")?.remove();
  box.querySelector(":scope > .done")?.remove();
  const picked = [...box.querySelectorAll("button")].find((b) => b.dataset.entry === chosen);
  const done = document.createElement("p"); done.className = "done";
  if (chosen === "adviser") label(done, "chosenAdviser");
  else if (picked) { done.appendChild(label(document.createElement("span"), "chosen")); done.append(" ", picked.textContent); }
  box.appendChild(done);
}

// A parent's click: into the outbox, shown as pending, sent when possible.
function act(box, frame) {
  following = true;
  const item = { ...frame, client_id: newId(), about: Number(box.dataset.about) };
  saveOutbox([...outbox(), item]);
  showActionPending(box, item);
  send(item);
}

function showActionPending(box, item) {
  box.querySelectorAll("button").forEach((b) => {
    b.disabled = true;
    const mine = (item.type === "feedback" && b.dataset.helpful === String(item.helpful))
      || (item.type === "choice" && b.dataset.entry === item.entry)
      || (item.type === "adviser" && b.dataset.entry === "adviser");
    b.classList.toggle("picked", mine);
  });
  box.querySelector(":scope > .error")?.remove();
  if (!box.querySelector(":scope > .pending-note")) {
    const note = label(document.createElement("span"), "pending"); note.className = "pending-note";
    box.appendChild(note);
  }
  box.classList.add("is-pending");
}

function boxFor(item) {
  const li = shown.get(item.about);
  return li ? li.querySelector(item.type === "feedback" ? ".feedback" : ".suggestions") : null;
}

function actionConfirmed(item) {
  const box = boxFor(item);
  if (!box) return;
  box.classList.remove("is-pending");
  box.querySelector(":scope > .pending-note")?.remove();
  if (item.type === "feedback") box.replaceChildren(label(document.createElement("span"), item.helpful ? "thanksYes" : "thanksNo"));
  else settleSuggestions(box, item.type === "adviser" ? "adviser" : item.entry);
  if (following) reveal($("messages").lastElementChild);
}

function actionFailed(item, frame) {
  const box = boxFor(item);
  if (!box) return;
  box.classList.remove("is-pending");
  box.querySelector(":scope > .pending-note")?.remove();
  const stale = frame.code === "conflict";
  box.querySelectorAll("button").forEach((b) => { b.disabled = stale; b.classList.remove("picked"); });
  errorLine(box).textContent = localError(frame);
  if (following) reveal(box.closest("li"));
}

// A server error in the page's language: known codes have our own text; the core's messages are
// "Nederlands / English", so take the right half; anything else gets a general line.
function localError(frame) {
  if (frame.code === "conflict") return t("errConflict");
  const message = frame.message || "";
  const halves = message.split(" / ");
  if (halves.length === 2) return language === "en" ? halves[1] : halves[0];
  return frame.code === "invalid" ? t("errInvalid") : t("errGeneric");
}

// Messages ------------------------------------------------------------------------------------

function show(message) {
  if (shown.has(message.seq)) return;
  const pending = message.client_id && document.querySelector(`li.pending[data-client="${CSS.escape(message.client_id)}"]`);
  const li = bubble(message);
  if (pending) pending.replaceWith(li); else $("messages").appendChild(li);
  shown.set(message.seq, li);
  lastSeq = Math.max(lastSeq, message.seq);
  if (message.sender === "parent") retireOlderSuggestions(message.seq);
  outbox().filter((item) => item.about === message.seq).forEach((item) => {
    const box = boxFor(item); if (box) showActionPending(box, item);
  });
  if (following || message.sender === "parent") reveal(li);
  else showNewPill();
  if (message.seq > liveFrom && (message.sender === "faq" || message.sender === "adviser")) answerArrived();
  if (message.sender !== "parent") refreshQueueStatus();
}

// Place in the queue ------------------------------------------------------------------------------
// While the question waits: the place in the queue and the expected wait, read again whenever a
// message arrives and every 20 seconds (the server keeps the numbers current as the queue moves).

let queueTimer = null;

async function refreshQueueStatus() {
  clearTimeout(queueTimer); queueTimer = null;
  if (!localStorage.getItem(KEY.token)) return;
  let status;
  try {
    const response = await fetch("/api/v1/conversation/queue", authorised());
    if (!response.ok) return;
    status = await response.json();
  } catch (error) { return; }
  const box = $("queue-status");
  box.hidden = status.status !== "waiting" || !status.position;
  if (box.hidden) return;
  const minutes = status.estimated_wait_minutes;
  box.textContent = language === "en"
    ? `You are number ${status.position} in the queue${minutes ? ` (about ${minutes} minute${minutes === 1 ? "" : "s"})` : ""}.`
    : `Je bent nummer ${status.position} in de wachtrij${minutes ? ` (ongeveer ${minutes} ${minutes === 1 ? "minuut" : "minuten"})` : ""}.`;
  queueTimer = setTimeout(refreshQueueStatus, 20000);
}

// Telling the parent an answer arrived ------------------------------------------------------------
// While the tab is open but not looked at: the count in the tab title and on the icon, and (with
// consent) a notification without content. While the page is closed, Web Push does the same.

const BASE_TITLE = document.title;
let unread = 0;

function drawIcon(count) {
  const canvas = document.createElement("canvas"); canvas.width = canvas.height = 64;
  const g = canvas.getContext("2d");
  g.fillStyle = "#00695c"; g.beginPath(); g.arc(28, 30, 26, 0, Math.PI * 2); g.fill();
  g.fillStyle = "#fff"; g.font = "bold 34px sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
  g.fillText("?", 28, 32);
  if (count > 0) {
    g.fillStyle = "#d50000"; g.beginPath(); g.arc(46, 18, 17, 0, Math.PI * 2); g.fill();
    g.fillStyle = "#fff"; g.font = "bold 24px sans-serif"; g.fillText(count > 9 ? "9+" : String(count), 46, 19);
  }
  return canvas.toDataURL("image/png");
}

function showUnread() {
  document.title = unread ? `(${unread}) ${t("answerTitle")} · ${BASE_TITLE}` : BASE_TITLE;
  $("favicon").href = drawIcon(unread);
  if (navigator.setAppBadge) (unread ? navigator.setAppBadge(unread) : navigator.clearAppBadge()).catch(() => {});
}

async function answerArrived() {
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  unread += 1; showUnread();
  if (localStorage.getItem(KEY.notify) !== "on" || !("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const registration = await navigator.serviceWorker.ready;
    await registration.showNotification(t("title"), { body: t("answerBody"), tag: "adviceline-answer", renotify: true });
  } catch { /* the title and icon still say it */ }
}

async function answersSeen() {
  if (!unread) return;
  unread = 0; showUnread();
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration) (await registration.getNotifications({ tag: "adviceline-answer" })).forEach((n) => n.close());
}

function notificationsPossible() { return "Notification" in window && "serviceWorker" in navigator; }

function showNotifyState() {
  const on = localStorage.getItem(KEY.notify) === "on" && notificationsPossible() && Notification.permission === "granted";
  $("notify").hidden = on || !notificationsPossible();
  $("notify-off").hidden = !on;
  $("notify-state").hidden = !on && !(notificationsPossible() && Notification.permission === "denied");
  label($("notify-state"), on ? "notifyState" : "notifyDenied");
}

function authorised(options = {}) {
  return { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${localStorage.getItem(KEY.token)}`, "Content-Type": "application/json" } };
}

// With consent: notifications in this browser, and Web Push where the browser has a push service.
async function notificationsOn() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") { localStorage.removeItem(KEY.notify); showNotifyState(); return; }
  const registration = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  localStorage.setItem(KEY.notify, "on");
  showNotifyState();
  try {
    const response = await fetch("/api/v1/push/key");
    if (!response.ok || !registration.pushManager) return;
    const { public_key: key } = await response.json();
    const raw = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
    const { endpoint, keys } = subscription.toJSON();
    await fetch("/api/v1/conversation/push-subscription", authorised({ method: "POST", body: JSON.stringify({ endpoint, keys }) }));
  } catch { /* no push service reachable: notifications still work while the tab is open */ }
}

async function notificationsOff() {
  localStorage.removeItem(KEY.notify);
  showNotifyState();
  const registration = "serviceWorker" in navigator && await navigator.serviceWorker.getRegistration();
  const subscription = registration && registration.pushManager && await registration.pushManager.getSubscription();
  if (!subscription) return;
  try {
    await fetch("/api/v1/conversation/push-subscription", authorised({ method: "DELETE", body: JSON.stringify({ endpoint: subscription.endpoint }) }));
  } finally { await subscription.unsubscribe(); }
}

// Resume codes --------------------------------------------------------------------------------------

async function makeResumeCode() {
  $("resume-error").textContent = "";
  try {
    const response = await fetch("/api/v1/conversation/resume-code", authorised({ method: "POST" }));
    const body = await response.json();
    if (!response.ok) { $("resume-error").textContent = localError(body.error); return; }
    $("resume-code-shown").textContent = body.code;
    $("resume-shown").hidden = false;
    reveal($("resume-shown"));
  } catch { $("resume-error").textContent = t("offline"); }
}

async function resumeWithCode(event) {
  event.preventDefault();
  $("resume-form-error").textContent = "";
  const code = $("resume-code").value.trim();
  if (!code) return;
  try {
    const response = await fetch("/api/v1/conversations/resume", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }),
    });
    const body = await response.json();
    if (!response.ok) { $("resume-form-error").textContent = localError(body.error); return; }
    forgetConversation();
    localStorage.setItem(KEY.token, body.token);
    $("resume-code").value = "";
    connect();
  } catch { $("resume-form-error").textContent = t("offline"); }
}

// Once the parent writes again, older "is it one of these?" offers no longer apply.
function retireOlderSuggestions(seq) {
  document.querySelectorAll(".suggestions").forEach((box) => {
    if (Number(box.dataset.about) < seq && !box.classList.contains("is-pending")) {
      box.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    }
  });
}

function showPending(item) {
  if (document.querySelector(`li.pending[data-client="${CSS.escape(item.client_id)}"]`)) return;
  const li = document.createElement("li"); li.className = "parent pending"; li.dataset.client = item.client_id;
  renderText(li, item.text);
  const note = label(document.createElement("span"), "pending"); note.className = "author"; li.appendChild(note);
  $("messages").appendChild(li);
  reveal(li);
}

function messageFailed(item, frame) {
  const li = document.querySelector(`li.pending[data-client="${CSS.escape(item.client_id)}"]`);
  if (!li) return;
  li.classList.replace("pending", "failed");
  const note = li.querySelector(".author");
  note.removeAttribute("data-t");
  note.textContent = `${t("notSent")} ${localError(frame)}`;
  note.classList.add("error");
  reveal(li);
}

// Keeping new messages in view ------------------------------------------------------------------
// The composer sticks to the bottom of the screen; a message scrolled "to the end" would sit behind
// it. Each message gets a scroll margin the height of the composer, and a message taller than the
// free space is shown from its start. While the parent has scrolled up to read, nothing jumps: a
// "new message" button appears instead.

function freeSpace() { return $("send-form").getBoundingClientRect().top; }

// Following: the parent reads along at the end of the chat. Scrolling up turns it off, reaching
// the end again (or sending something) turns it back on.
let following = true;
let autoScrollY = 0;

function atEnd() {
  const last = $("messages").lastElementChild;
  return !last || last.getBoundingClientRect().bottom <= freeSpace() + 48;
}

function reveal(li) {
  if (!li || li.closest("[hidden]")) return;
  const height = li.getBoundingClientRect().height;
  li.scrollIntoView({ block: height + 16 > freeSpace() ? "start" : "end" });
  autoScrollY = window.scrollY;
  following = true;
  hideNewPill();
}

function showNewPill() { $("new-pill").hidden = false; }
function hideNewPill() { $("new-pill").hidden = true; }

function trackComposer() {
  const update = () => {
    document.documentElement.style.setProperty("--composer-height", `${$("send-form").offsetHeight}px`);
  };
  update();
  if (window.ResizeObserver) new ResizeObserver(update).observe($("send-form"));
  window.addEventListener("scroll", () => {
    if (atEnd()) { following = true; hideNewPill(); }
    else if (window.scrollY < autoScrollY - 40) following = false;
    autoScrollY = Math.max(autoScrollY, window.scrollY);   // the furthest the parent read down
  }, { passive: true });
}

// The connection ---------------------------------------------------------------------------------

function send(item) {
  if (!socket || socket.readyState !== WebSocket.OPEN || !ready) return;
  const { about, ...frame } = item;   // "about" is the page's own bookkeeping
  socket.send(JSON.stringify(frame));
}

function setStatus(key) {
  const status = $("status");
  label(status, key);
  status.classList.toggle("offline", key === "offline");
}

function stopHeartbeat() {
  clearInterval(heartbeat); heartbeat = null;
  clearTimeout(pongTimer); pongTimer = null;
}

function startHeartbeat() {
  stopHeartbeat();
  heartbeat = setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ping" }));
    if (!pongTimer) pongTimer = setTimeout(() => dropConnection(), PONG_WAIT_MS);
  }, HEARTBEAT_MS);
}

// Forget the current socket at once (a dead connection may take minutes to report its close) and
// try again later.
function dropConnection(retry = true) {
  stopHeartbeat();
  const old = socket;
  socket = null; ready = false;
  if (old) { old.onclose = null; old.onmessage = null; try { old.close(); } catch { /* already gone */ } }
  if (!localStorage.getItem(KEY.token)) return;
  setStatus("offline");
  if (retry) scheduleReconnect();
}

// Back off to at most 5 s (with jitter, so a restarted server is not hit by everyone at once):
// a parent waiting for the connection should not wait long after it is back.
function scheduleReconnect() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, retryMs * (0.8 + Math.random() * 0.4));
  retryMs = Math.min(retryMs * 2, 5000);
}

function connect() {
  clearTimeout(retryTimer);
  const token = localStorage.getItem(KEY.token);
  if (!token) return startScreen();
  $("start").hidden = true; $("chat").hidden = false;
  if (socket) return;
  if (!navigator.onLine) { setStatus("offline"); return; }
  if (!$("status").classList.contains("offline")) setStatus("connecting");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const current = new WebSocket(`${scheme}://${location.host}/api/v1/conversation/ws`);
  socket = current;
  current.onopen = () => current.send(JSON.stringify({ type: "hello", token, last_seq: lastSeq }));
  current.onmessage = (event) => receive(JSON.parse(event.data));
  current.onclose = () => { if (socket === current) dropConnection(); };
}

function receive(frame) {
  clearTimeout(pongTimer); pongTimer = null;
  if (frame.type === "ready") {
    municipality = frame.municipality;
    liveFrom = Math.min(liveFrom, frame.last_seq);
    if (frame.last_seq === 0) showWelcome();
    ready = true; retryMs = 500; setStatus("connected"); startHeartbeat();
    outbox().forEach(send);
  } else if (frame.type === "message") {
    show(frame);
  } else if (frame.type === "ack") {
    const item = removeFromOutbox(frame.client_id);
    if (item && item.type !== "message") actionConfirmed(item);
  } else if (frame.type === "error") {
    if (frame.code === "unknown_token") { forgetConversation(); return startScreen(); }
    if (frame.code === "rate_limited") {
      // Too much at once from this connection: the frame stays in the outbox; send it again later.
      clearTimeout(rateTimer);
      rateTimer = setTimeout(() => { if (ready) outbox().forEach(send); }, (frame.retry_after || 5) * 1000);
      return;
    }
    const item = frame.client_id ? removeFromOutbox(frame.client_id) : null;
    if (item && item.type === "message") messageFailed(item, frame);
    else if (item) actionFailed(item, frame);
  }
}

function forgetConversation() {
  localStorage.removeItem(KEY.token); saveOutbox([]);
  dropConnection(false);
  $("messages").replaceChildren(); shown.clear(); lastSeq = 0; municipality = null; hideNewPill();
  clearTimeout(queueTimer); $("queue-status").hidden = true;
  liveFrom = Infinity; $("resume-shown").hidden = true; $("resume-code-shown").textContent = "";
  $("erase-confirm").hidden = true; $("erase-error").textContent = "";
}

// Start screen and composer -------------------------------------------------------------------

function startScreen() {
  $("chat").hidden = true; $("start").hidden = false;
}

async function begin(event) {
  event.preventDefault();
  const place = $("postcode").value.trim() || $("municipality").value;
  $("start-error").textContent = "";
  if (!place) { $("start-error").textContent = t("needPlace"); return; }
  let response;
  try {
    response = await fetch("/api/v1/conversations", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ municipality: place, language }),
    });
  } catch { $("start-error").textContent = t("offline"); return; }
  const body = await response.json();
  if (!response.ok) { $("start-error").textContent = localError(body.error); linkNumbers($("start-error")); return; }
  localStorage.setItem(KEY.token, body.token);
  $("erased-note").hidden = true;
  connect();
}

function submit(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  const item = { type: "message", client_id: newId(), text };
  saveOutbox([...outbox(), item]);
  showPending(item);
  send(item);
  $("text").value = "";
}

// The page's texts switch at once; in a conversation the server is told too (through the outbox,
// so it is not lost offline), and every reply from then on comes in this language.
function switchLanguage() {
  language = language === "nl" ? "en" : "nl";
  localStorage.setItem(KEY.language, language);
  translate();
  if (!localStorage.getItem(KEY.token)) return;
  const item = { type: "language", language, client_id: newId() };
  saveOutbox([...outbox().filter((other) => other.type !== "language"), item]);
  send(item);
}

// The right to erasure: after a second, explicit click the server wipes the conversation; a 401
// means it is gone already (erased on another device).
async function eraseConversation() {
  $("erase-error").textContent = "";
  let response;
  try {
    response = await fetch("/api/v1/conversation", authorised({ method: "DELETE" }));
  } catch { $("erase-error").textContent = t("offline"); return; }
  if (!response.ok && response.status !== 401) {
    const body = await response.json().catch(() => ({}));
    $("erase-error").textContent = localError(body.error || {});
    return;
  }
  try { await notificationsOff(); } catch { /* the server dropped the subscription already */ }
  forgetConversation();
  startScreen();
  $("erased-note").hidden = false;
}

async function restart() {
  if (!confirm(t("confirmNew"))) return;
  // The old conversation's pushes would lead to the new one: stop them first (with its token).
  try { await notificationsOff(); } catch { /* offline: the push service drops it in time */ }
  forgetConversation();
  startScreen();
}

document.addEventListener("DOMContentLoaded", () => {
  translate();
  $("language").addEventListener("click", switchLanguage);
  $("municipality").addEventListener("change", describeService);
  $("start-form").addEventListener("submit", begin);
  $("send-form").addEventListener("submit", submit);
  $("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("send-form").requestSubmit(); } });
  $("new-conversation").addEventListener("click", restart);
  $("erase").addEventListener("click", () => { $("erase-confirm").hidden = false; $("erase-confirm").scrollIntoView({ block: "nearest" }); });
  $("erase-no").addEventListener("click", () => { $("erase-confirm").hidden = true; });
  $("erase-yes").addEventListener("click", eraseConversation);
  $("new-pill").addEventListener("click", () => reveal($("messages").lastElementChild));
  window.addEventListener("offline", () => dropConnection(false));
  window.addEventListener("online", () => { retryMs = 500; connect(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    answersSeen();
    if (!socket) { retryMs = 500; connect(); }
  });
  window.addEventListener("focus", answersSeen);
  $("notify").addEventListener("click", notificationsOn);
  $("notify-off").addEventListener("click", notificationsOff);
  $("resume-make").addEventListener("click", makeResumeCode);
  $("resume-form").addEventListener("submit", resumeWithCode);
  showNotifyState();
  showUnread();
  trackComposer();
  loadService();
  // Older pages kept only typed messages in the outbox, without a type.
  saveOutbox(outbox().map((item) => (item.type ? item : { ...item, type: "message" })));
  outbox().filter((item) => item.type === "message").forEach(showPending);
  connect();
});
