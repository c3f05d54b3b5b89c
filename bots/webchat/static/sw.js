// The chat's service worker: shows "there is an answer" when a Web Push arrives while the page is
// closed or hidden, and opens the chat when the parent taps it. The push carries no content: only
// that there is an answer and the page's language.
"use strict";

const TEXTS = {
  nl: { title: "CJG advieslijn", body: "Er is een antwoord op je vraag. Tik om het te lezen." },
  en: { title: "CJG advice line", body: "There is an answer to your question. Tap to read it." },
};
const TAG = "adviceline-answer";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = {}; }
  const text = TEXTS[data.language] || TEXTS.nl;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    if (windows.some((client) => client.visibilityState === "visible")) return;   // it is on screen
    await self.registration.showNotification(text.title, { body: text.body, tag: TAG, renotify: true });
  })());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const chat = windows.find((client) => new URL(client.url).pathname === "/");
    if (chat) return chat.focus();
    return self.clients.openWindow("/");
  })());
});
