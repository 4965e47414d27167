// The supervisor view: open cases by SLA state, and Sev1 pages and calls; refreshed every few seconds.
"use strict";

(() => {
  const REFRESH_MS = 5000;
  const STATES = { breached: "Breached", due_soon: "Due soon", on_track: "On track" };
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const formatter = window.deskTime.formatter; // desk-time.js
  const WHEN = formatter({ month: "short", day: "numeric" });

  function when(iso) {
    return iso ? WHEN.format(new Date(iso)) : "—";
  }

  function left(due, now) {
    if (!due) return "";
    const ms = Date.parse(due) - Date.parse(now);
    const minutes = Math.round(Math.abs(ms) / 60000);
    const text = minutes >= 120 ? `${Math.round(minutes / 60)}h` : `${minutes}m`;
    return ms < 0 ? `${text} ago` : `in ${text}`;
  }

  function renderOpen(data) {
    const body = document.querySelector("#open-cases tbody");
    body.replaceChildren();
    for (const c of data.open_cases) {
      const tr = el("tr", `sla-${c.sla.state}`);
      const sla = el("td", null);
      sla.append(el("span", `badge ${c.sla.state}`, STATES[c.sla.state] || c.sla.state));
      if (c.sla.target) sla.append(el("span", "muted", ` (${c.sla.target})`));
      const due = c.sla.due ? `${when(c.sla.due)} (${left(c.sla.due, data.now)})` : "—";
      const chat = c.handoff ? c.handoff.status : "";
      for (const cell of [c.number, `Sev ${c.severity}`, c.k_number, c.summary, c.channel, c.status.replace("_", " ")]) {
        tr.append(el("td", null, cell));
      }
      tr.append(sla, el("td", null, due), el("td", null, chat));
      body.append(tr);
    }
    if (!data.open_cases.length) {
      const tr = el("tr");
      const td = el("td", "muted", "No open cases.");
      td.colSpan = 9;
      tr.append(td);
      body.append(tr);
    }
  }

  function detailText(event) {
    const d = event.detail || {};
    if (d.from !== undefined) return `${d.from} → ${d.to}`;
    if (d.met !== undefined) return d.met ? "target met" : "target missed";
    if (d.error) return d.error;
    if (d.duration) return `${d.duration}s`;
    return "";
  }

  function renderSev1(data) {
    const root = $("sev1");
    root.replaceChildren();
    if (!data.sev1.length) root.append(el("p", "muted", "No Sev1 cases."));
    for (const c of data.sev1) {
      const article = el("article", "sev1-case");
      article.append(el("h3", null, `${c.number} · ${c.k_number} · ${c.channel} · ${c.status.replace("_", " ")}`));
      article.append(el("p", null, c.summary));
      const response = c.first_response_at
        ? `First response ${when(c.first_response_at)} (${c.response_met ? "met" : "missed"})`
        : "No response yet";
      article.append(el("p", "muted", `Opened ${when(c.created_at)} · outcome ${c.outcome} · ${response}`));
      const events = el("ul", "events");
      for (const event of c.events) {
        events.append(el("li", event.kind, `${when(event.at)} · ${event.kind.replace(/_/g, " ")} ${detailText(event)}`));
      }
      if (c.events.length) article.append(el("h4", null, "Pages and history"), events);
      for (const call of c.calls) {
        article.append(el("h4", null, `Call ${when(call.started_at)}: ${call.status}`));
        const attempts = el("ol", "attempts");
        for (const a of call.dial_attempts) {
          attempts.append(el("li", a.status, `Dialled on-call ${a.number}: ${a.status} (${when(a.at)})`));
        }
        if (!call.dial_attempts.length) attempts.append(el("li", "muted", "No on-call dialled"));
        article.append(attempts);
      }
      root.append(article);
    }
  }

  async function refresh() {
    try {
      const response = await fetch("/agent/console/supervisor", { headers: { Accept: "application/json" } });
      if (response.status === 401) {
        window.location.assign("/agent/sign-in");
        return;
      }
      if (!response.ok) throw new Error(response.statusText);
      const data = await response.json();
      renderOpen(data);
      renderSev1(data);
      $("updated").textContent = `Updated ${when(data.now)}`;
    } catch (error) {
      $("updated").textContent = `Could not refresh: ${error.message}`;
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
