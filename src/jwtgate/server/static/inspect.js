// The token inspector: calls POST /admin/diagnose and renders the report.
// The credential and the token live only in this page's memory: nothing is stored,
// nothing is put in a URL, and the only request goes to this server.
"use strict";

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = false;
  document.getElementById("result").hidden = true;
}

function render(report) {
  document.getElementById("error").hidden = true;
  const verdict = document.getElementById("verdict");
  if (report.accepted) {
    verdict.textContent = "accepted: every check passes";
    verdict.className = "accepted";
  } else {
    const failure = report.error;
    verdict.textContent = failure
      ? "refused: " + failure.check + " — " + failure.code + (failure.reason ? ": " + failure.reason : "")
      : "refused: not every check could run";
    verdict.className = "refused";
  }
  const body = document.querySelector("#checks tbody");
  body.replaceChildren();
  for (const check of report.checks) {
    const row = element("tr", null, check.status);
    row.dataset.check = check.name;
    for (const value of [check.name, check.status, check.code || "", check.reason || "", check.message]) {
      row.appendChild(element("td", value));
    }
    body.appendChild(row);
  }
  const times = document.getElementById("times");
  times.replaceChildren();
  for (const [name, time] of Object.entries(report.times)) {
    times.appendChild(element("li", name + ": " + time.utc + " (" + time.relative + ")"));
  }
  document.getElementById("header").textContent = JSON.stringify(report.token.header ?? null, null, 2);
  document.getElementById("claims").textContent = JSON.stringify(report.token.claims ?? null, null, 2);
  document.getElementById("result").hidden = false;
}

async function inspect(event) {
  event.preventDefault();
  const kind = document.querySelector("input[name=kind]:checked").value;
  const request = { token: document.getElementById("token").value };
  if (kind === "oauth") {
    request.oauth = true;
  } else {
    request.authenticator = document.getElementById("authenticator").value.trim();
    const login = document.getElementById("login").value.trim();
    if (login) request.login = login;
  }
  let response;
  try {
    response = await fetch("/admin/diagnose", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Authorization": "Bearer " + document.getElementById("credential").value.trim(),
      },
      body: JSON.stringify(request),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch (error) {
    showError("jwtgate did not answer: " + error);
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    showError(response.status + " " + (answer.error || "") + ": " + (answer.error_description || ""));
    return;
  }
  render(answer);
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("inspect").addEventListener("submit", inspect);
  for (const radio of document.querySelectorAll("input[name=kind]")) {
    radio.addEventListener("change", () => {
      document.getElementById("authenticator-fields").hidden =
        document.querySelector("input[name=kind]:checked").value !== "authenticator";
    });
  }
});
