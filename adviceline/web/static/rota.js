// Coordinator's rota page: add a change (leave, sickness, swap, shift) or remove one, then reload.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const error = document.getElementById("rota-error");
  async function send(method, path, body) {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.ok) { location.reload(); return; }
    const answer = await response.json().catch(() => ({}));
    error.textContent = (answer.error && answer.error.message) || response.statusText;
  }
  for (const form of document.querySelectorAll(".rota-form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = Object.fromEntries(new FormData(form).entries());
      if (form.dataset.kind === "shifts") {
        body.days = body.days.split(",").map((d) => d.trim()).filter(Boolean);
        body.hours = body.hours.split(",").map((h) => h.trim()).filter(Boolean);
      }
      send("POST", `/coordinator/api/rota/${form.dataset.kind}`, body);
    });
  }
  for (const button of document.querySelectorAll("button.remove")) {
    button.addEventListener("click", () => send("DELETE", `/coordinator/api/rota/entries/${button.dataset.entry}`));
  }
});
