// The agent console: a live queue over server-sent events, one conversation at a time, case tools.
// Plain DOM and fetch; every text reaches the page through textContent, never as HTML.
"use strict";

(() => {
  const API = "/agent/console";
  const SIGN_IN = "/agent/sign-in";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const me = {
    id: Number(document.body.dataset.agentId),
    name: document.body.dataset.agentName,
    role: document.body.dataset.agentRole,
  };
  const $ = (id) => document.getElementById(id);

  let serverOffset = 0; // server clock minus this browser's clock, in ms: countdowns use the server's time
  let queueItems = [];
  let current = null; // {id, after, version, status, data}

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const options = { method, headers, credentials: "same-origin" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, options);
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) {
      window.location.assign(SIGN_IN);
    }
    if (!response.ok) {
      throw new ApiError(response.status, (data.error && data.error.message) || response.statusText);
    }
    return data;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function serverNow() {
    return Date.now() + serverOffset;
  }

  function duration(ms) {
    const total = Math.round(Math.abs(ms) / 1000);
    const d = Math.floor(total / 86400);
    const h = Math.floor((total % 86400) / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (d) return `${d}d ${h}h`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${s}s`;
    return `${s}s`;
  }

  const formatter = window.deskTime.formatter; // desk-time.js
  const CLOCK = formatter({});
  const WHEN = formatter({ month: "short", day: "numeric" });

  function clock(iso) {
    return iso ? CLOCK.format(new Date(iso)) : "";
  }

  function when(iso) {
    return WHEN.format(new Date(iso));
  }

  // -- the queue ---------------------------------------------------------------------------------

  function describeDue(item, node) {
    node.classList.remove("overdue", "soon", "met");
    if (item.first_response_at) {
      node.textContent = "responded";
      node.classList.add("met");
      return;
    }
    if (!item.response_due) {
      node.textContent = "no target yet";
      return;
    }
    const left = Date.parse(item.response_due) - serverNow();
    if (left < 0) {
      node.textContent = `response overdue by ${duration(left)}`;
      node.classList.add("overdue");
    } else {
      node.textContent = `${duration(left)} left to respond`;
      if (left <= 15 * 60 * 1000) node.classList.add("soon");
    }
  }

  function renderQueue() {
    const list = $("queue");
    list.replaceChildren();
    $("queue-empty").hidden = queueItems.length > 0;
    for (const item of queueItems) {
      const li = el("li", `entry ${item.status}`);
      li.dataset.id = item.id;
      if (current && current.id === item.id) li.classList.add("selected");
      const head = el("div", "head");
      head.append(el("span", `sev sev${item.severity || "none"}`, item.severity ? `Sev ${item.severity}` : "No case"));
      head.append(el("span", "number", item.case_number || "—"));
      if (item.k_number) head.append(el("span", "account", item.k_number));
      li.append(head);
      li.append(el("p", "summary", item.summary || reasonText(item.reason)));
      const foot = el("div", "foot");
      const who =
        item.status === "queued"
          ? `waiting, #${item.position}`
          : item.agent && item.agent.id === me.id
            ? "with you"
            : `with ${(item.agent && item.agent.name) || "an agent"}`;
      foot.append(el("span", "who", who));
      const due = el("span", "due");
      due.dataset.id = item.id;
      describeDue(item, due);
      foot.append(due);
      li.append(foot);
      const buttons = el("div", "buttons");
      if (item.status === "queued") {
        const claim = el("button", "claim", "Claim");
        claim.type = "button";
        claim.addEventListener("click", () => claimConversation(item.id));
        buttons.append(claim);
      }
      const mine = item.agent && item.agent.id === me.id;
      if (item.status === "queued" || mine || me.role === "supervisor") {
        const open = el("button", "open", mine ? "Open" : "View");
        open.type = "button";
        open.addEventListener("click", () => openConversation(item.id));
        buttons.append(open);
      }
      li.append(buttons);
      list.append(li);
    }
  }

  function reasonText(reason) {
    return (
      { question: "Question for an agent", customer_request: "Asked for a person", case_status: "Case status" }[
        reason
      ] || reason
    );
  }

  function tick() {
    for (const node of document.querySelectorAll("#queue .due")) {
      const item = queueItems.find((i) => String(i.id) === node.dataset.id);
      if (item) describeDue(item, node);
    }
  }

  function connect() {
    const source = new EventSource(`${API}/events`);
    source.addEventListener("open", () => {
      $("connection").textContent = "Live";
      $("connection").classList.remove("down");
    });
    source.addEventListener("error", () => {
      $("connection").textContent = "Reconnecting…";
      $("connection").classList.add("down");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gives up on a refused stream: a signed-out session goes to sign-in, else retry.
        api("GET", "/queue")
          .then(() => setTimeout(connect, 3000))
          .catch(() => {});
      }
    });
    source.addEventListener("queue", (event) => {
      const data = JSON.parse(event.data);
      serverOffset = Date.parse(data.now) - Date.now();
      queueItems = data.items;
      renderQueue();
      refreshCurrent();
    });
    source.addEventListener("signed_out", () => {
      source.close();
      window.location.assign(SIGN_IN);
    });
  }

  // -- one conversation ------------------------------------------------------------------------------

  function showError(error) {
    $("conversation-error").textContent = error ? error.message : "";
  }

  async function act(action) {
    showError(null);
    try {
      const data = await action();
      if (data && data.handoff) render(data);
    } catch (error) {
      showError(error);
      // Show what the conversation is now (claimed by someone else, ended); keep the first error shown.
      if (current) await load().catch(() => {});
    }
  }

  function claimConversation(id) {
    openConversation(id, true);
  }

  async function openConversation(id, claim) {
    current = { id, after: 0, version: null, status: null, data: null };
    $("transcript").replaceChildren();
    $("conversation").hidden = false;
    renderQueue();
    if (claim) {
      await act(() => api("POST", `/handoffs/${id}/claim`));
    } else {
      await act(load);
    }
  }

  async function load() {
    if (!current) return null;
    const id = current.id;
    const data = await api("GET", `/handoffs/${id}?after=${current.after}`);
    if (!current || current.id !== id) return null;
    render(data);
    return null;
  }

  function refreshCurrent() {
    if (!current) return;
    const item = queueItems.find((i) => i.id === current.id);
    const open = current.status === "queued" || current.status === "active";
    if ((item && item.version !== current.version) || (!item && open)) {
      load().catch(showError);
    }
  }

  function render(data) {
    const handoff = data.handoff;
    // A response may carry lines already shown (sent while a stream update was loading): skip those.
    for (const line of data.transcript) {
      if (line.id <= current.after) continue;
      const li = el("li", `line ${line.role}`);
      const who = { customer: "Customer", bot: "Assistant", agent: "Agent" }[line.role] || line.role;
      li.append(el("span", "who", who), el("span", "at", clock(line.at)), el("p", "text", line.text));
      $("transcript").append(li);
      current.after = line.id;
    }
    const box = $("transcript");
    box.scrollTop = box.scrollHeight;
    current.version = handoff.version;
    current.status = handoff.status;
    current.data = data;
    const mine = handoff.agent && handoff.agent.id === me.id;
    const active = handoff.status === "active" && mine;
    $("conversation-state").textContent = stateText(handoff, mine);
    $("claim").hidden = handoff.status !== "queued";
    $("reply").hidden = !active;
    $("hand-back").hidden = !active;
    $("close-chat").hidden = !active;
    $("case-tools").hidden = !(mine && data.case);
    $("close-case").hidden = me.role !== "supervisor";
    renderCase(data.case, data.events);
    renderEvents(data.events);
  }

  function stateText(handoff, mine) {
    switch (handoff.status) {
      case "queued":
        return `Waiting for an agent (#${handoff.position} in the queue).`;
      case "active":
        return mine ? "You are chatting with the customer." : `${handoff.agent.name} has this conversation.`;
      case "returned":
        return "Handed back to the assistant.";
      case "closed":
        return "The chat has ended.";
      case "timed_out":
        return "Nobody took this chat in time; it became a web support request.";
      default:
        return handoff.status;
    }
  }

  function renderCase(c, events) {
    const dl = $("case");
    dl.replaceChildren();
    if (!c) {
      dl.append(el("dt", null, "Case"), el("dd", null, "No case recorded yet"));
      return;
    }
    const rows = [
      ["Case", c.number],
      ["Account", c.k_number],
      ["Severity", `Sev ${c.severity}`],
      ["Status", c.status.replace("_", " ")],
      ["Summary", c.summary],
      ["Response due", when(c.response_due)],
      ["First response", c.first_response_at ? `${when(c.first_response_at)} (${c.response_met ? "met" : "missed"})` : "not yet"],
      ["Fix due", c.fix_due ? when(c.fix_due) : "none"],
    ];
    const why = triageWhy(events);
    if (why) rows.splice(3, 0, why);
    for (const [label, value] of rows) dl.append(el("dt", null, label), el("dd", null, value));
    $("severity").value = String(c.severity);
  }

  // Why triage proposed its severity: the customer's phrases that moved it and the guided answers.
  function triageWhy(events) {
    const triage = (events || []).filter((event) => event.kind === "triage").pop();
    const detail = (triage && triage.detail) || {};
    if (!detail.severity || !Array.isArray(detail.evidence)) return null;
    const reasons = detail.evidence.map((item) =>
      String(item)
        .replace(/^said: (.*)$/, "said \u201c$1\u201d")
        .replace(/^answer (\w+): (.*)$/, "answered $1: $2"),
    );
    return [`Why Sev ${detail.severity}`, reasons.length ? reasons.join("; ") : "no reason recorded"];
  }

  function renderEvents(events) {
    const list = $("events");
    list.replaceChildren();
    for (const event of events.slice().reverse()) {
      const li = el("li", `event ${event.kind}`);
      li.append(el("span", "at", when(event.at)), el("span", "kind", event.kind.replace(/_/g, " ")));
      li.append(el("span", "actor", event.actor));
      const detail = event.detail || {};
      const text =
        detail.text ||
        (detail.from !== undefined ? `${detail.from} → ${detail.to}${detail.reason ? ` (${detail.reason})` : ""}` : "");
      if (text) li.append(el("p", "text", text));
      list.append(li);
    }
  }

  // -- wiring ----------------------------------------------------------------------------------------

  function post(path, body) {
    return () => api("POST", `/handoffs/${current.id}${path}`, body);
  }

  $("reply").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = $("reply-text");
    const text = box.value.trim();
    if (!text || !current) return;
    box.value = "";
    act(post("/messages", { text }));
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("reply").requestSubmit();
    }
  });
  $("claim").addEventListener("click", () => current && act(post("/claim")));
  $("hand-back").addEventListener("click", () => current && act(post("/hand-back")));
  $("close-chat").addEventListener("click", () => current && act(post("/close")));
  $("resolve").addEventListener("click", () => current && act(post("/status", { status: "resolved" })));
  $("close-case").addEventListener("click", () => current && act(post("/status", { status: "closed" })));
  $("severity-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("severity-reason").value.trim();
    act(post("/severity", { severity: Number($("severity").value), reason }));
    $("severity-reason").value = "";
  });
  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) return;
    $("note-text").value = "";
    act(post("/notes", { text }));
  });

  const presence = $("presence");
  presence.value = document.body.dataset.presence;
  presence.addEventListener("change", async () => {
    try {
      const data = await api("POST", "/presence", { presence: presence.value });
      presence.value = data.agent.presence;
    } catch (error) {
      presence.value = document.body.dataset.presence;
    }
  });

  connect();
  setInterval(tick, 1000);
})();
