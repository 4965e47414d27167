// The survey page: the manager's follow-up tasks (mark one done) and the results per agent, severity, account.
"use strict";

(() => {
  const REFRESH_MS = 10000;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function done(id) {
    const response = await fetch(`/agent/console/surveys/follow-ups/${id}/done`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ note: "" }),
    });
    if (response.ok) await refresh();
  }

  function renderTasks(tasks) {
    const body = document.querySelector("#tasks tbody");
    body.replaceChildren();
    for (const t of tasks) {
      const tr = el("tr", `task-${t.status}`);
      for (const cell of [t.case_number, t.k_number, t.reason.replace(/_/g, " "), t.created_at, t.status]) {
        tr.append(el("td", null, cell));
      }
      // Notices to this customer wait until the task is done (the desk does not speak before the manager).
      const waiting = t.held_notices === 1 ? "1 notice waits for your call" : `${t.held_notices} notices wait for your call`;
      tr.append(el("td", "muted", t.status === "open" && t.held_notices ? waiting : ""));
      const action = el("td");
      if (t.status === "open") {
        const button = el("button", null, "Done");
        button.addEventListener("click", () => done(t.id));
        action.append(button);
      }
      tr.append(action);
      body.append(tr);
    }
    if (!tasks.length) {
      const tr = el("tr");
      const td = el("td", "muted", "No follow-ups.");
      td.colSpan = 7;
      tr.append(td);
      body.append(tr);
    }
  }

  function renderResults(results) {
    const box = $("results");
    box.replaceChildren();
    for (const [by, rows] of Object.entries(results)) {
      const table = el("table", "grid");
      table.id = `results-${by}`;
      const head = el("tr");
      for (const title of [by, "Answered", "NPS", "Promoters", "Passives", "Detractors", "CSAT"]) {
        head.append(el("th", null, title));
      }
      table.append(head);
      for (const r of rows) {
        const tr = el("tr");
        for (const cell of [r.group, r.answered, r.nps, r.promoters, r.passives, r.detractors, r.csat]) {
          tr.append(el("td", null, cell === null ? "—" : cell));
        }
        table.append(tr);
      }
      box.append(el("h3", null, `By ${by}`), table);
    }
  }

  async function refresh() {
    const response = await fetch("/agent/console/surveys", { headers: { Accept: "application/json" } });
    if (!response.ok) {
      $("updated").textContent = `Could not load (${response.status}).`;
      return;
    }
    const data = await response.json();
    renderTasks(data.follow_ups);
    renderResults(data.results);
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
