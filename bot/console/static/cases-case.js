// One case: its facts, clocks (ticking), timeline, transcript, and the actions on it, with keyboard shortcuts.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const me = { name: document.body.dataset.agentName, role: document.body.dataset.agentRole };
  const number = decodeURIComponent(window.location.pathname.split("/").pop());
  const base = `/agent/console/cases/${encodeURIComponent(number)}`;
  const WHEN = window.deskTime.formatter({ month: "short", day: "numeric" }); // desk-time.js
  const CLOCKS = { response: "Response", update: "Update", fix: "Fix" };
  const state = { data: null, offset: 0 };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const when = (iso) => (iso ? WHEN.format(new Date(iso)) : "—");

  const span = window.deskTime.span; // desk-time.js

  function minutes(value) {
    return value === null ? "none" : span(value * 60000);
  }

  // What each entry of the history means, in words.
  function describe(e) {
    const d = e.detail || {};
    const clock = d.clock ? `${d.clock} ` : "";
    switch (e.kind) {
      case "created":
        return `Case opened: Sev ${d.severity}, ${d.channel || ""} (${(d.outcome || "").replace(/_/g, " ")})`;
      case "triage":
        return `Triage proposed Sev ${d.severity}`;
      case "severity_changed":
        return `Severity Sev ${d.from} → Sev ${d.to}${d.reason ? `: ${d.reason}` : ""}`;
      case "status_changed":
        return `Status ${String(d.from).replace(/_/g, " ")} → ${String(d.to).replace(/_/g, " ")}${
          d.reason ? (d.to === "resolved" ? `. Resolution: ${d.reason}` : `: ${d.reason}`) : ""
        }`;
      case "note":
        return `Internal note: ${d.text}`;
      case "assigned":
        return d.to ? `Assigned to ${d.to}` : `${d.from || "Nobody"} let go of the case`;
      case "first_response":
        return `First response to the customer (target ${d.met ? "met" : "missed"})`;
      case "customer_update":
        return `Update sent to the customer${d.text ? `: ${d.text}` : ""}`;
      case "customer_replied":
        return "The customer replied";
      case "sla_warning":
        return `Warning: the ${clock}clock is near its target (due ${when(d.due)})`;
      case "sla_breached":
        return `Breached: the ${clock}target passed (due ${when(d.due)}); the case is escalated`;
      case "page_queued":
        return "On-call engineer paged (queued)";
      case "page_sent":
        return "On-call page sent";
      case "page_failed":
        return `On-call page failed${d.error ? `: ${d.error}` : ""}`;
      case "handoff_requested":
        return "Live chat with an agent requested";
      case "handoff_timed_out":
        return "Nobody took the live chat in time: it became a web request";
      case "voicemail":
        return "The caller left a voicemail";
      case "attachment":
        return "The customer sent a file";
      default:
        return e.kind.replace(/_/g, " ");
    }
  }

  function renderCase(data) {
    const c = data.case;
    document.title = `Case ${c.number}`;
    $("case-title").textContent = `Case ${c.number}`;
    const rows = [
      ["Account", c.k_number],
      ["Severity", `Sev ${c.severity}`],
      ["Status", c.status.replace(/_/g, " ")],
      ["Assignee", c.assignee || "nobody"],
      ["Summary", c.summary],
      ["Opened", `${when(c.created_at)} by ${c.channel}`],
      ["SLA", data.sla.state],
    ];
    if (data.triage) {
      const reasons = data.triage.evidence.map((item) =>
        item.replace(/^said: (.*)$/, "said \u201c$1\u201d").replace(/^answer (\w+): (.*)$/, "answered $1: $2"),
      );
      rows.push([`Why Sev ${data.triage.severity}`, reasons.length ? reasons.join("; ") : "no reason recorded"]);
    }
    if (data.live_chat) rows.push(["Live chat", `the customer is connected (${data.live_chat.status})`]);
    const dl = $("case");
    dl.replaceChildren();
    for (const [label, value] of rows) dl.append(el("dt", null, label), el("dd", null, value));
    const closed = c.status === "closed";
    const resolved = c.status === "resolved" || closed;
    $("claim").hidden = c.assignee === me.name;
    $("unassign").hidden = c.assignee !== me.name;
    $("assign-tool").hidden = me.role !== "supervisor";
    $("close-case").hidden = c.status !== "resolved" || me.role !== "supervisor";
    $("resolve-form").hidden = resolved;
    $("status-form").hidden = resolved;
    $("update-form").hidden = closed;
    $("reopen-form").hidden = !resolved;
    $("severity").value = String(c.severity);
    if ([...$("status").options].some((o) => o.value === c.status)) $("status").value = c.status;
  }

  function renderClocks(data) {
    const body = $("clocks").querySelector("tbody");
    body.replaceChildren();
    for (const clock of data.clocks) {
      const tr = el("tr", `clock ${clock.state}`);
      tr.dataset.clock = clock.name;
      const left = el("td", "left");
      if (clock.due) {
        left.classList.add("countdown");
        left.dataset.due = clock.due;
      } else if (clock.remaining_minutes !== null && clock.remaining_minutes < 0) {
        left.textContent = `late by ${minutes(-clock.remaining_minutes)}`;
        left.classList.add("late");
      } else if (clock.remaining_minutes !== null && clock.state === "paused") {
        left.textContent = `${minutes(clock.remaining_minutes)} left (paused)`;
      } else {
        left.textContent = "—";
      }
      const pauses = clock.pauses.map((p) => `${when(p.start)} – ${p.end ? when(p.end) : "now"} (${p.reason})`);
      tr.append(
        el("th", null, CLOCKS[clock.name] || clock.name),
        el("td", "state", clock.state),
        el("td", null, clock.target_minutes === null ? "none" : `${minutes(clock.target_minutes)} (${clock.basis})`),
        left,
        el("td", null, when(clock.due)),
        el("td", null, pauses.join("; ") || "—"),
      );
      body.append(tr);
    }
    tick();
  }

  function tick() {
    for (const cell of document.querySelectorAll(".countdown[data-due]")) {
      const left = Date.parse(cell.dataset.due) - (state.offset + Date.now());
      cell.textContent = left >= 0 ? `${span(left)} left` : `late by ${span(left)}`;
      cell.classList.toggle("late", left < 0);
    }
  }

  function renderTimeline(events) {
    const list = $("timeline");
    list.replaceChildren();
    for (const e of events.slice().reverse()) {
      const li = el("li", e.kind);
      li.append(el("span", "at", `${when(e.at)} · ${e.actor} · `), el("span", "what", describe(e)));
      list.append(li);
    }
  }

  function renderTranscript(data) {
    const list = $("transcript");
    list.replaceChildren();
    $("no-transcript").hidden = Boolean(data.case.conversation_id);
    for (const line of data.transcript) {
      const li = el("li", `line ${line.role}`);
      const who = { customer: "Customer", bot: "Assistant", agent: "Agent" }[line.role] || line.role;
      li.append(el("span", "who", who), el("span", "at", when(line.at)), el("p", "text", line.text));
      list.append(li);
    }
  }

  function render(data) {
    state.data = data;
    state.offset = Date.parse(data.now) - Date.now();
    renderCase(data);
    renderClocks(data);
    renderTimeline(data.events);
    renderTranscript(data);
  }

  async function load() {
    const response = await fetch(base, { headers: { Accept: "application/json" } });
    if (response.status === 401) {
      window.location.assign("/agent/sign-in");
      return;
    }
    const data = await response.json();
    if (!response.ok) {
      $("error").textContent = (data.error && data.error.message) || response.statusText;
      return;
    }
    render(data);
  }

  // One action: POST with the CSRF token (and the version shown, when a stale one must not win).
  async function act(action, body, done, guarded) {
    $("error").textContent = "";
    $("done").textContent = "";
    const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf };
    if (guarded && state.data) headers["If-Match"] = `"${state.data.version}"`;
    const response = await fetch(`${base}/${action}`, { method: "POST", headers, body: JSON.stringify(body || {}) });
    const data = await response.json();
    if (!response.ok) {
      $("error").textContent = (data.error && data.error.message) || response.statusText;
      if (response.status === 409) await load();
      return false;
    }
    render(data);
    $("done").textContent = done;
    return true;
  }

  function form(id, build) {
    $(id).addEventListener("submit", async (event) => {
      event.preventDefault();
      await build();
    });
  }

  function clear(id) {
    $(id).value = "";
  }

  form("update-form", async () => {
    const text = $("update-text").value.trim();
    if (!text) return;
    // One key per update written: a resend after a network error is not sent to the customer twice.
    const key = $("update-form").dataset.key || crypto.randomUUID();
    $("update-form").dataset.key = key;
    if (await act("updates", { text, key }, "Update sent to the customer.")) {
      clear("update-text");
      delete $("update-form").dataset.key;
    }
  });
  form("note-form", async () => {
    const text = $("note-text").value.trim();
    if (text && (await act("notes", { text }, "Note added."))) clear("note-text");
  });
  form("status-form", () => act("status", { status: $("status").value }, "Status changed.", true));
  form("severity-form", async () => {
    const body = { severity: Number($("severity").value), reason: $("severity-reason").value.trim() };
    if (await act("severity", body, "Severity changed.", true)) clear("severity-reason");
  });
  form("resolve-form", async () => {
    const resolution = $("resolution").value.trim();
    if (resolution && (await act("resolve", { resolution }, "Case resolved.", true))) clear("resolution");
  });
  form("reopen-form", async () => {
    const reason = $("reopen-reason").value.trim();
    if (reason && (await act("reopen", { reason }, "Case reopened.", true))) clear("reopen-reason");
  });
  $("claim").addEventListener("click", () => act("claim", {}, "You have the case."));
  $("unassign").addEventListener("click", () => act("assign", { assignee: null }, "You let go of the case."));
  $("assign").addEventListener("click", () =>
    act("assign", { assignee: $("assign-to").value.trim() || null }, "Case assigned."),
  );
  $("close-case").addEventListener("click", () => act("close", {}, "Case closed.", true));

  // -- keyboard shortcuts (not while typing, except Ctrl+Enter to send) --------------------------------

  const dialog = $("shortcuts");
  const toggleHelp = () => (dialog.open ? dialog.close() : dialog.showModal());
  $("help").addEventListener("click", toggleHelp);
  const FOCUS = { u: "update-text", n: "note-text", s: "status", v: "severity", r: "resolution" };

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && typing) {
      const owner = event.target.closest("form");
      if (owner) {
        event.preventDefault();
        owner.requestSubmit();
      }
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
    } else if (dialog.open) {
      return;
    } else if (event.key === "c" && !$("claim").hidden) {
      event.preventDefault();
      $("claim").click();
    } else if (event.key === "g") {
      window.location.assign("/agent/cases");
    } else if (FOCUS[event.key] && !$(FOCUS[event.key]).closest("form").hidden) {
      event.preventDefault();
      $(FOCUS[event.key]).focus();
    }
  });

  load();
  setInterval(tick, 1000);
  setInterval(() => {
    if (!document.activeElement || !document.activeElement.closest("form")) load();
  }, 30000);
})();
