// The planned maintenance page (supervisors): the windows, with any override's reason; schedule one, change
// it (the form filled in from the row) or cancel it; and each account's scheduled downtime this year.
"use strict";

(() => {
  const API = "/agent/console/maintenance";
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const WHEN = window.deskTime.formatter({ month: "short", day: "numeric", year: "numeric" }); // desk-time.js
  let changing = null; // the window being changed, or null: scheduling a new one

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(done, error) {
    $("done").textContent = done || "";
    $("error").textContent = error || "";
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrf;
      init.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      window.location.assign("/agent/sign-in");
      throw new Error("signed out");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || `failed (${response.status})`);
    return data;
  }

  function edit(w) {
    changing = w;
    $("w-start").value = w.start_at;
    $("w-end").value = w.end_at;
    $("w-accounts").value = w.all_accounts ? "all" : w.accounts.join(",");
    $("w-components").value = w.components.join(",");
    $("w-downtime").value = w.downtime ? "yes" : "no";
    $("w-summary").value = w.summary;
    $("w-override").value = "";
    $("form-heading").textContent = `Change window #${w.id}`;
    $("w-submit").textContent = "Save changes";
    $("w-reset").hidden = false;
    $("w-start").focus();
  }

  function stopChanging() {
    changing = null;
    $("window-form").reset();
    $("form-heading").textContent = "Schedule a window";
    $("w-submit").textContent = "Schedule";
    $("w-reset").hidden = true;
  }

  function row(w) {
    const tr = el("tr", w.status);
    tr.dataset.window = String(w.id);
    const when = `${WHEN.format(new Date(w.start_at))} – ${WHEN.format(new Date(w.end_at))}`;
    tr.append(el("td", null, `#${w.id}`), el("td", null, `${w.status} (v${w.version})`), el("td", null, when));
    tr.append(el("td", null, w.downtime ? "yes" : "no"), el("td", null, w.components.join(", ")));
    tr.append(el("td", null, w.all_accounts ? "all accounts" : w.accounts.join(", ")), el("td", null, w.summary));
    tr.append(el("td", "override", w.override_reason ? `Override: ${w.override_reason}` : ""));
    const actions = el("td");
    if (w.status !== "cancelled") { // one over is refused by the service, with the reason
      const change = el("button", null, "Change");
      change.type = "button";
      change.setAttribute("aria-label", `Change window ${w.id}`);
      change.addEventListener("click", () => edit(w));
      const cancel = el("button", null, "Cancel");
      cancel.type = "button";
      cancel.setAttribute("aria-label", `Cancel window ${w.id}`);
      cancel.addEventListener("click", () => {
        call("POST", `${API}/${w.id}/cancel`)
          .then((done) => load().then(() => say(`Window #${w.id} cancelled; ${done.notices_queued} notice(s) queued.`)))
          .catch((error) => say("", error.message));
      });
      actions.append(change, cancel);
    }
    tr.append(actions);
    return tr;
  }

  function budgetRow(b) {
    const tr = el("tr", b.over ? "over" : null);
    tr.dataset.account = b.k_number;
    const left = b.cap_hours - b.used_hours;
    tr.append(el("td", null, b.k_number), el("td", null, b.year), el("td", null, `${b.used_hours} h`));
    tr.append(el("td", null, `${b.cap_hours} h`), el("td", null, b.over ? `over by ${-left} h` : `${left} h`));
    return tr;
  }

  async function load() {
    const data = await call("GET", $("f-all").checked ? `${API}?all=1` : API);
    $("w-components").placeholder = data.components.map((c) => c.key).join(",");
    $("windows").tBodies[0].replaceChildren(...data.windows.map(row));
    $("windows").hidden = !data.windows.length;
    $("empty").hidden = data.windows.length > 0;
    $("budgets").tBodies[0].replaceChildren(...data.budgets.map(budgetRow));
    $("budgets").hidden = !data.budgets.length;
    $("no-budget").hidden = data.budgets.length > 0;
  }

  $("window-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    for (const name of ["start", "end", "accounts", "components", "downtime", "summary", "override"]) {
      body[name] = $(`w-${name}`).value.trim();
    }
    const submit = $("w-submit");
    submit.disabled = true;
    const was = changing;
    (was ? call("PUT", `${API}/${was.id}`, body) : call("POST", API, body))
      .then((done) => {
        stopChanging();
        const what = was ? `changed (version ${done.window.version})` : "scheduled";
        return load().then(() => say(`Window #${done.window.id} ${what}; ${done.notices_queued} notice(s) queued.`));
      })
      .catch((error) => say("", error.message))
      .finally(() => {
        submit.disabled = false;
      });
  });
  $("w-reset").addEventListener("click", stopChanging);
  $("f-all").addEventListener("change", () => load().catch((error) => say("", error.message)));
  load().catch((error) => say("", error.message));
})();
