// The supervisors' dashboard: the month's figures over server-sent events, drawn with Chart.js (served by the
// service); clicking any figure lists the cases behind it, each opening in the case workspace.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STATES = ["breached", "warning", "ok", "paused"];
  const STATE_LABEL = { breached: "Breached", warning: "Warning", ok: "On track", paused: "Paused" };
  const STATE_COLOR = { breached: "#b3261e", warning: "#a15c00", ok: "#1e7a3c", paused: "#8a94a6" };
  const TARGETS = ["response", "update", "fix"];
  const TARGET_COLOR = { response: "#1f5fbf", update: "#6b3fa0", fix: "#0f7c8c" };
  const SEVERITIES = [1, 2, 3, 4];
  const figures = new Map(); // figure key -> { title, cases, count, list }
  const charts = {};
  let source = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function minutes(value) {
    if (value === null || value === undefined) return "–";
    if (value < 120) return `${Math.round(value)} min`;
    if (value < 48 * 60) return `${(value / 60).toFixed(1)} h`;
    return `${(value / 1440).toFixed(1)} d`;
  }

  function keep(key, title, figure, list) {
    figures.set(key, { title, cases: figure.cases, count: figure.count, list: list || null });
  }

  function merged(title, parts) {
    const cases = parts.flatMap((f) => f.cases);
    return { title, cases, count: parts.reduce((sum, f) => sum + f.count, 0) };
  }

  // The cases behind a figure: their numbers, each a link to its case page; the case list when it can filter.
  function drill(key) {
    const figure = figures.get(key);
    if (!figure) return;
    $("drill").hidden = false;
    $("drill-title").textContent = `${figure.title}: ${figure.count} case${figure.count === 1 ? "" : "s"}`;
    const list = $("drill-cases");
    list.replaceChildren();
    for (const number of figure.cases) {
      const item = el("li");
      const link = el("a", null, number);
      link.href = `/agent/cases/${encodeURIComponent(number)}`;
      item.append(link);
      list.append(item);
    }
    $("drill-list").hidden = !figure.list;
    if (figure.list) $("drill-list").href = figure.list;
    $("drill-more").hidden = figure.count <= figure.cases.length;
    $("drill-more").textContent = `Showing ${figure.cases.length} of ${figure.count}.`;
    $("drill").scrollIntoView({ block: "nearest" });
  }

  function chart(id, type, onKey, extra) {
    const options = {
      animation: false,
      responsive: true,
      onClick: (_event, elements) => {
        if (elements.length) drill(onKey(elements[0].datasetIndex, elements[0].index));
      },
      onHover: (event, elements) => {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
      ...extra,
    };
    charts[id] = new window.Chart($(id), { type, data: { labels: [], datasets: [] }, options });
    return charts[id];
  }

  function setUp() {
    chart("c-open", "bar", (d, i) => `open-${SEVERITIES[i]}-${STATES[d]}`, {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    });
    chart("c-attainment", "bar", (d, i) => `attain-${SEVERITIES[i]}-${TARGETS[d]}`, {
      scales: { y: { beginAtZero: true, max: 100 } },
    });
    chart("c-backlog", "bar", (_d, i) => `backlog-${i}`, {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    });
    chart("c-surveys", "doughnut", (_d, i) => `survey-${i}`, {});
  }

  function draw(report) {
    const open = new Map(report.open_cases.map((o) => [`${o.severity}-${o.state}`, o.figure]));
    const c1 = charts["c-open"];
    c1.data.labels = SEVERITIES.map((s) => `Sev ${s}`);
    c1.data.datasets = STATES.map((state) => ({
      label: STATE_LABEL[state],
      backgroundColor: STATE_COLOR[state],
      data: SEVERITIES.map((s) => open.get(`${s}-${state}`).count),
    }));
    for (const s of SEVERITIES) {
      for (const state of STATES) {
        const query = new URLSearchParams({ view: "all", open: "true", severity: String(s), sla: state });
        keep(`open-${s}-${state}`, `Open Sev ${s} cases, ${STATE_LABEL[state]}`, open.get(`${s}-${state}`), `/agent/cases?${query}`);
      }
    }
    c1.update();

    const attained = new Map(report.attainment.map((a) => [`${a.severity}-${a.target}`, a]));
    const c2 = charts["c-attainment"];
    c2.data.labels = SEVERITIES.map((s) => `Sev ${s}`);
    c2.data.datasets = TARGETS.map((target) => ({
      label: `${target} target`,
      backgroundColor: TARGET_COLOR[target],
      data: SEVERITIES.map((s) => attained.get(`${s}-${target}`).percent),
    }));
    for (const a of report.attainment) {
      const both = merged(`Sev ${a.severity} ${a.target} target`, [a.missed, a.met]);
      figures.set(`attain-${a.severity}-${a.target}`, {
        ...both,
        title: `Sev ${a.severity} ${a.target} target: ${a.met.count} met, ${a.missed.count} missed (missed first)`,
        list: null,
      });
    }
    c2.update();

    const c3 = charts["c-backlog"];
    c3.data.labels = report.backlog.map((b) => b.label);
    c3.data.datasets = [{ label: "Open cases", backgroundColor: "#1f5fbf", data: report.backlog.map((b) => b.figure.count) }];
    report.backlog.forEach((b, i) => keep(`backlog-${i}`, `Open cases ${b.label} old`, b.figure));
    c3.update();

    const s = report.surveys;
    const c4 = charts["c-surveys"];
    c4.data.labels = ["Promoters (9-10)", "Passives (7-8)", "Detractors (0-6)"];
    c4.data.datasets = [{
      backgroundColor: ["#1e7a3c", "#8a94a6", "#b3261e"],
      data: [s.promoters.count, s.passives.count, s.detractors.count],
    }];
    [s.promoters, s.passives, s.detractors].forEach((f, i) => keep(`survey-${i}`, c4.data.labels[i], f));
    c4.update();
  }

  function tiles(report) {
    $("t-waiting").textContent = String(report.live.chat_waiting);
    $("t-agents").textContent = String(report.live.agents_available);
    const bot = report.bot;
    $("t-bot").textContent = bot.percent === null ? "–" : `${bot.percent}% (${bot.without_agent.count} of ${bot.filed.count})`;
    keep("bot", "Filed by the bot with no agent", bot.without_agent);
    $("t-nps").textContent = report.surveys.nps === null ? "–" : String(report.surveys.nps);
    $("t-csat").textContent = report.surveys.csat === null ? "–" : String(report.surveys.csat);
    const s = report.surveys;
    figures.set("surveys", { ...merged("Surveys answered", [s.detractors, s.passives, s.promoters]), list: null });
    for (const t of report.times) {
      const id = t.measure === "first_response" ? "t-first" : "t-resolution";
      $(id).textContent = `${minutes(t.median_minutes)} / ${minutes(t.p90_minutes)}`;
      keep(`times-${t.measure}`, t.measure === "first_response" ? "Answered this month" : "Resolved this month", t.figure);
    }
    figures.set("live-waiting", { title: "Waiting for live chat (see the agent console)", cases: [], count: report.live.chat_waiting, list: null });
  }

  function casesButton(key, figure) {
    const button = el("button", "linkish", String(figure.count));
    button.type = "button";
    button.dataset.figure = key;
    return button;
  }

  function tables(report, rows) {
    const incidents = document.querySelector("#incidents tbody");
    incidents.replaceChildren();
    for (const incident of report.incidents) {
      const key = `incident-${incident.id}`;
      keep(key, `Incident ${incident.id} (${incident.component})`, incident.figure);
      const tr = el("tr");
      const cell = el("td");
      cell.append(casesButton(key, incident.figure));
      tr.append(el("td", null, `${incident.id} ${incident.title}`), el("td", null, incident.component),
        el("td", null, new Date(incident.opened_at).toLocaleString()), cell);
      incidents.append(tr);
    }
    const accounts = document.querySelector("#availability tbody");
    accounts.replaceChildren();
    for (const a of report.availability) {
      const key = `availability-${a.k_number}`;
      keep(key, `${a.k_number}: Sev1 cases in incidents this month`, a.figure);
      const tr = el("tr", a.left_minutes < 0 ? "late" : null);
      const cell = el("td");
      cell.append(casesButton(key, a.figure));
      tr.append(el("td", null, `${a.k_number} ${a.name}`), el("td", null, `${a.commitment} (${a.committed_percent}%)`),
        el("td", null, a.downtime_minutes), el("td", null, a.allowed_minutes), el("td", null, a.left_minutes),
        el("td", null, a.percent), cell);
      accounts.append(tr);
    }
    const body = document.querySelector("#figures tbody");
    body.replaceChildren();
    for (const row of rows) {
      const tr = el("tr");
      for (const value of row) tr.append(el("td", null, value));
      body.append(tr);
    }
  }

  function show(data) {
    const report = data.report;
    figures.clear();
    $("month").value = report.month;
    tiles(report);
    draw(report);
    tables(report, data.rows);
    document.body.dataset.month = report.month;
    document.body.dataset.now = report.now;
    $("updated").textContent = `${report.month} (${report.zone}); live figures at ${new Date(report.now).toLocaleString()}` +
      (report.truncated ? " — more cases than one report reads: the first ones are counted" : "");
  }

  function listen(month) {
    if (source) source.close();
    $("error").textContent = "";
    const query = month ? `?${new URLSearchParams({ month })}` : "";
    source = new EventSource(`/agent/console/dashboard/events${query}`);
    source.addEventListener("figures", (event) => {
      $("error").textContent = "";
      show(JSON.parse(event.data));
    });
    source.addEventListener("signed_out", () => window.location.assign("/agent/sign-in"));
    source.onerror = () => {
      $("error").textContent = "The live figures are interrupted; reconnecting…";
    };
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-figure]");
    if (target) drill(target.dataset.figure);
  });
  $("pick").addEventListener("submit", (event) => {
    event.preventDefault();
    const month = $("month").value;
    history.replaceState(null, "", `?${new URLSearchParams({ month })}`);
    listen(month);
  });

  setUp();
  listen(new URLSearchParams(window.location.search).get("month") || "");
})();
