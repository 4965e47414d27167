// The incidents page: every incident with its linked cases (each a link to the case's page), and the
// actions on it: link or detach a case, post an update to every linked customer, resolve; open one by hand.
"use strict";

(() => {
  const API = "/agent/console/incidents";
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const WHEN = window.deskTime.formatter({ month: "short", day: "numeric" }); // desk-time.js

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(iso) {
    return iso ? WHEN.format(new Date(iso)) : "—";
  }

  function say(done, error) {
    $("done").textContent = done || "";
    $("error").textContent = error || "";
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrf;
      init.body = JSON.stringify(body);
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

  function caseLink(number) {
    const a = el("a", null, number);
    a.href = `/agent/cases/${encodeURIComponent(number)}`;
    return a;
  }

  // A small form: a labelled field and a button; `send` gets the field's value.
  function actionForm(id, label, button, multiline, send) {
    const form = el("form", null);
    const field = el(multiline ? "textarea" : "input", null);
    field.id = id;
    field.required = true;
    field.maxLength = multiline ? 4000 : 40;
    const caption = el("label", null, label);
    caption.htmlFor = id;
    const submit = el("button", null, button);
    submit.type = "submit";
    form.append(caption, field, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit.disabled = true;
      send(field.value.trim()).finally(() => {
        submit.disabled = false;
      });
    });
    return form;
  }

  // One retry key per update written: a resend after a network error reaches the customers once.
  const updateKeys = new Map();

  function act(path, body, done, sent) {
    return call("POST", path, body)
      .then(() => (sent ? sent() : undefined))
      .then(() => load())
      .then(() => say(done, ""))
      .catch((error) => say("", error.message));
  }

  function casesTable(detail) {
    const table = el("table", "grid cases");
    const head = el("tr");
    for (const name of ["Case", "Sev", "Account", "Status", "Summary", ""]) {
      const th = el("th", null, name);
      th.scope = "col";
      head.append(th);
    }
    table.append(el("thead"), el("tbody"));
    table.tHead.append(head);
    const open = detail.incident.status === "open";
    for (const c of detail.cases) {
      const tr = el("tr", c.detached ? "detached" : null);
      tr.dataset.case = c.number;
      const number = el("td");
      number.append(caseLink(c.number));
      tr.append(number, el("td", null, `Sev ${c.severity}`), el("td", null, c.k_number));
      tr.append(el("td", null, c.status.replace(/_/g, " ")), el("td", null, c.summary));
      const last = el("td", null, c.detached ? "detached" : "");
      if (open && !c.detached) {
        const detach = el("button", null, "Detach");
        detach.type = "button";
        detach.setAttribute("aria-label", `Detach ${c.number}`);
        detach.addEventListener("click", () =>
          act(`${API}/${detail.incident.id}/detach`, { case: c.number }, `Case ${c.number} detached.`),
        );
        last.append(detach);
      }
      tr.append(last);
      table.tBodies[0].append(tr);
    }
    if (!detail.cases.length) {
      const tr = el("tr");
      const td = el("td", "muted", "No linked cases.");
      td.colSpan = 6;
      tr.append(td);
      table.tBodies[0].append(tr);
    }
    return table;
  }

  function card(detail) {
    const i = detail.incident;
    const article = el("article", `incident ${i.status}`);
    article.dataset.incident = String(i.id);
    article.setAttribute("aria-label", `Incident ${i.id}`);
    article.append(el("h3", null, `#${i.id} · ${i.component_label} · ${i.title}`));
    const by = i.opened_by === "auto" ? "the reports rule" : i.opened_by;
    let facts = `${i.status === "open" ? "Open" : "Resolved"} · opened ${when(i.opened_at)} by ${by}`;
    if (i.paged_at) facts += ` · on-call paged ${when(i.paged_at)}`;
    article.append(el("p", "muted facts", facts));
    if (i.status === "resolved") {
      article.append(el("p", "resolution", `Resolved ${when(i.resolved_at)} by ${i.resolved_by}: ${i.resolution}`));
    }
    article.append(casesTable(detail));
    if (i.status === "open") {
      const base = `${API}/${i.id}`;
      const actions = el("div", "actions");
      actions.append(
        actionForm(`link-${i.id}`, "Link a case", "Link", false, (value) =>
          act(`${base}/link`, { case: value }, `Case ${value} linked.`),
        ),
        actionForm(`update-${i.id}`, "Update to every linked customer", "Post update", true, (value) => {
          const slot = `${i.id}\n${value}`;
          if (!updateKeys.has(slot)) updateKeys.set(slot, crypto.randomUUID());
          const body = { text: value, key: updateKeys.get(slot) };
          return act(`${base}/updates`, body, "Update posted to every linked customer.", () => updateKeys.delete(slot));
        }),
        actionForm(`resolve-${i.id}`, "Resolution", "Resolve incident", true, (value) =>
          act(`${base}/resolve`, { resolution: value }, `Incident #${i.id} resolved with its linked cases.`),
        ),
      );
      article.append(actions);
    }
    const updates = el("ul", "updates");
    for (const u of detail.updates) {
      updates.append(el("li", null, `${when(u.at)} · ${u.actor}: ${u.text} (sent to ${u.reached} case(s))`));
    }
    if (detail.updates.length) article.append(el("h4", null, "Updates"), updates);
    return article;
  }

  function components(list) {
    const select = $("open-component");
    if (select.options.length) return;
    for (const c of list) {
      const option = el("option", null, c.label === c.key ? c.key : `${c.label} (${c.key})`);
      option.value = c.key;
      select.append(option);
    }
  }

  async function load() {
    const status = $("f-status").value;
    const data = await call("GET", status ? `${API}?status=${encodeURIComponent(status)}` : API);
    components(data.components);
    $("incidents").replaceChildren(...data.incidents.map(card));
    $("empty").hidden = data.incidents.length > 0;
  }

  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch((error) => say("", error.message));
  });
  $("f-status").addEventListener("change", () => load().catch((error) => say("", error.message)));
  $("open-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { component: $("open-component").value, title: $("open-title").value.trim() };
    call("POST", API, body)
      .then((detail) => {
        $("open-title").value = "";
        $("f-status").value = "open";
        return load().then(() => say(`Incident #${detail.incident.id} opened.`, ""));
      })
      .catch((error) => say("", error.message));
  });
  load().catch((error) => say("", error.message));
})();
