"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const button = document.getElementById("reload-kb");
  if (!button) return;   // only a regional coordinator reloads the knowledge base
  const result = document.getElementById("reload-result");
  button.addEventListener("click", async () => {
    result.textContent = "bezig…";
    const response = await fetch("/coordinator/api/knowledge-base/reload", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
    });
    const body = await response.json();
    result.textContent = response.ok ? `${body.entries} vragen geladen.` : body.error.message;
  });
});
