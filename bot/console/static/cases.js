// The case list: mine / unassigned / all, filters, and a live countdown to each case's next SLA target.
"use strict";

(() => {
  const REFRESH_MS = 30000;
  const $ = (id) => document.getElementById(id);
  const me = { name: document.body.dataset.agentName, role: document.body.dataset.agentRole };
  const WHEN = window.deskTime.formatter({ month: "short", day: "numeric" }); // desk-time.js
  const SLA = { ok: "OK", warning: "Warning", breached: "Breached", paused: "Paused" };
  const CLOCK = { response: "respond", update: "update", fix: "fix" };
  const state = { view: "mine", next: null, offset: 0 };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const span = window.deskTime.span; // desk-time.js

  // The server's clock, ticking on from the moment its answer came (the page never trusts its own date).
  function now() {
    return state.offset + Date.now();
  }

  function tick() {
    for (const cell of document.querySelectorAll(".countdown[data-due]")) {
      const left = Date.parse(cell.dataset.due) - now();
      const what = CLOCK[cell.dataset.clock] || cell.dataset.clock;
      cell.textContent = left >= 0 ? `${span(left)} left to ${what}` : `late to ${what} by ${span(left)}`;
      cell.classList.toggle("late", left < 0);
      cell.classList.toggle("soon", left >= 0 && left < 15 * 60000);
    }
  }

  function query(before) {
    const params = new URLSearchParams({ view: state.view, limit: "50" });
    const status = $("f-status").value;
    if (status === "open") params.set("open", "true");
    else if (status) params.set("status", status);
    for (const name of ["severity", "account", "sla"]) {
      const value = $(`f-${name}`).value.trim();
      if (value) params.set(name, value);
    }
    if (before) params.set("before", String(before));
    return params;
  }

  // A list opened from a link (the dashboard's figures) starts with the link's view and filters.
  function fromAddress() {
    const given = new URLSearchParams(window.location.search);
    if (given.get("open") === "true") $("f-status").value = "open";
    else if (given.get("status")) $("f-status").value = given.get("status");
    for (const name of ["severity", "account", "sla"]) {
      if (given.get(name)) $(`f-${name}`).value = given.get(name);
    }
    const view = given.get("view");
    return ["mine", "unassigned", "all"].includes(view) ? view : "mine";
  }

  // The address shows what the list shows, so it can be shared or bookmarked.
  function toAddress() {
    const params = query(null);
    params.delete("limit");
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
  }

  function row(c) {
    const tr = el("tr", `sla-${c.sla.state}`);
    tr.dataset.number = c.number;
    const link = el("a", null, c.number);
    link.href = `/agent/cases/${encodeURIComponent(c.number)}`;
    const first = el("td");
    first.append(link);
    const sla = el("td");
    sla.append(el("span", `badge ${c.sla.state}`, SLA[c.sla.state] || c.sla.state));
    const due = el("td");
    if (c.sla.next) {
      const count = el("span", "countdown");
      count.dataset.due = c.sla.next.due;
      count.dataset.clock = c.sla.next.clock;
      due.append(count, el("span", "muted", ` (${WHEN.format(new Date(c.sla.next.due))})`));
    } else {
      due.append(el("span", "muted", c.sla.state === "paused" ? "waiting for the customer" : "—"));
    }
    tr.append(first);
    for (const text of [`Sev ${c.severity}`, c.k_number, c.summary, c.status.replace(/_/g, " "), c.assignee || "—"]) {
      tr.append(el("td", null, text));
    }
    tr.append(sla, due);
    return tr;
  }

  async function load(more) {
    $("error").textContent = "";
    try {
      const response = await fetch(`/agent/console/cases?${query(more ? state.next : null)}`, {
        headers: { Accept: "application/json" },
      });
      if (response.status === 401) {
        window.location.assign("/agent/sign-in");
        return;
      }
      const data = await response.json();
      if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
      state.offset = Date.parse(data.now) - Date.now();
      state.next = data.next;
      const body = document.querySelector("#cases tbody");
      if (!more) {
        body.replaceChildren();
        toAddress();
      }
      for (const c of data.cases) body.append(row(c));
      $("empty").hidden = body.children.length > 0;
      $("more").hidden = data.next === null;
      tick();
    } catch (error) {
      $("error").textContent = `Could not load the cases: ${error.message}`;
    }
  }

  function choose(view) {
    state.view = view;
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-pressed", String(tab.dataset.view === view));
    }
    load(false);
  }

  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => choose(tab.dataset.view));
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load(false);
  });
  for (const id of ["f-severity", "f-status", "f-sla"]) $(id).addEventListener("change", () => load(false));
  $("more").addEventListener("click", () => load(true));

  choose(fromAddress());
  setInterval(tick, 1000);
  setInterval(() => load(false), REFRESH_MS);
})();
