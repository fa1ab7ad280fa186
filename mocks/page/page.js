// The mock's page: polls the journal with a cursor, shows each request and why it was answered so,
// and drives the admin API's controls. Only same-origin JSON calls to the admin API; every value
// from a request is put in the page as text, never as markup.
"use strict";

const POLL_MS = 400;
const STATE_MS = 1500;
const KEPT = 2000;

const view = {
  cursor: 0,            // highest journal id seen whose answer was complete
  total: null,          // the journal's total at the last poll (it drops when the journal is cleared)
  entries: new Map(),   // id -> entry, in arrival order
  selected: null,
  paused: false,
  apis: [],
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

async function call(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text.slice(0, 300) }; }
  }
  if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
  return data;
}

let toastTimer = 0;
function toast(message, error) {
  const box = $("toast");
  box.textContent = message;
  box.className = error ? "show error" : "show";
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = ""; }, error ? 6000 : 2500);
}

// ---- the request list ------------------------------------------------------------------------

function statusClass(status) {
  return `status s${Math.floor(status / 100)}`;
}

function clockText(seconds) {
  const iso = new Date(seconds * 1000).toISOString();
  return { short: iso.slice(11, 23), full: iso.replace("T", " ").replace("Z", " UTC") };
}

function fullPath(entry) {
  return `${entry.base || ""}${entry.path}${entry.query ? "?" + entry.query : ""}`;
}

function whyShort(entry) {
  if (!entry.why) return "";
  return entry.why.summary || entry.why.check || entry.why.by || "";
}

function matches(entry) {
  const api = $("filter-api").value;
  const status = $("filter-status").value;
  if (api && entry.api !== api) return false;
  if (!status) return true;
  if (status === "err") return entry.status >= 400;
  return Math.floor(entry.status / 100) === Number(status);
}

function row(entry, fresh) {
  const time = clockText(entry.time);
  const tr = el("tr", { "data-id": String(entry.id), "data-status": String(entry.status), "data-api": entry.api });
  if (fresh) tr.classList.add("fresh");
  if (entry.id === view.selected) tr.classList.add("selected");
  tr.append(
    el("td", { text: time.short, title: time.full }),
    el("td", {}, el("span", { class: "api", text: entry.api })),
    el("td", { text: entry.method }),
    el("td", { class: "path", text: fullPath(entry), title: fullPath(entry) }),
    el("td", { class: statusClass(entry.status), text: entry.status ? String(entry.status) : "…" }),
    el("td", { class: "num", text: entry.duration_ms.toFixed(1) }),
    el("td", { class: "why-cell", text: whyShort(entry), title: whyShort(entry) }),
  );
  tr.addEventListener("click", () => select(entry.id));
  return tr;
}

function renderList(freshIds) {
  const body = $("requests").tBodies[0];
  const rows = [];
  const all = [...view.entries.values()];
  for (let i = all.length - 1; i >= 0; i--) {
    if (matches(all[i])) rows.push(row(all[i], freshIds && freshIds.has(all[i].id)));
  }
  body.replaceChildren(...rows);
  $("empty").hidden = all.length > 0;
  $("shown-count").textContent = all.length ? `${rows.length} of ${all.length} shown` : "";
}

async function poll() {
  if (!view.paused) {
    try {
      const data = await call("GET", `requests?after=${view.cursor}`);
      if (view.total !== null && data.total < view.total) {
        view.entries.clear();  // the journal was cleared (or the mock reset) meanwhile
      }
      view.total = data.total;
      const fresh = new Set();
      let pending = null;
      for (const entry of data.requests) {
        if (!view.entries.has(entry.id)) fresh.add(entry.id);
        view.entries.delete(entry.id);
        view.entries.set(entry.id, entry);
        if (entry.status === 0 && pending === null) pending = entry.id;
        view.cursor = Math.max(view.cursor, entry.id);
      }
      // An entry still being answered is asked for again until its status is known.
      if (pending !== null) view.cursor = pending - 1;
      while (view.entries.size > KEPT) view.entries.delete(view.entries.keys().next().value);
      if (data.requests.length || fresh.size) renderList(fresh);
      $("journal-count").textContent = `${data.total} request${data.total === 1 ? "" : "s"} journaled`;
      $("live").className = "pill live";
      $("live").textContent = "live";
    } catch (error) {
      $("live").className = "pill";
      $("live").textContent = `not reachable: ${error.message}`;
    }
  }
  setTimeout(poll, POLL_MS);
}

// ---- one request -----------------------------------------------------------------------------

function fillHeaders(table, headers) {
  const rows = Object.entries(headers || {}).map(([name, value]) =>
    el("tr", {}, el("td", { text: name }), el("td", { text: value })));
  table.tBodies[0].replaceChildren(...rows);
}

function bodyText(body) {
  if (body === null || body === undefined) return "(no body)";
  if (typeof body === "string") return body;
  return JSON.stringify(body, null, 2);
}

function renderWhy(entry) {
  const box = $("why");
  const why = entry.why;
  if (!why) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.className = why.by && why.by !== "api" ? "why steered" : entry.status >= 500 ? "why server" : "why";
  $("why-summary").textContent = why.summary || "";
  const details = [];
  const labels = { by: "answered by", check: "check", token: "token check", operation: "spec operation",
                   spec_path: "spec path", code: "error code", fault: "fault", remaining: "fault: left to fire",
                   retry_after: "retry after (s)", required: "scope required", granted: "scopes granted",
                   tenant: "tenant", issued_for: "token issued for", issuer: "token issuer",
                   expired_at: "expired at (mock clock)", now: "now (mock clock)" };
  for (const [key, value] of Object.entries(why)) {
    if (key === "summary" || key === "problems") continue;
    let text = Array.isArray(value) ? value.join(" ") : String(value);
    if ((key === "expired_at" || key === "now") && typeof value === "number") text = clockText(value).full;
    details.push(el("dt", { text: labels[key] || key }), el("dd", { text }));
  }
  $("why-details").replaceChildren(...details);
  const problems = Array.isArray(why.problems) ? why.problems : [];
  const table = $("why-problems");
  table.hidden = problems.length === 0;
  table.tBodies[0].replaceChildren(...problems.map((p) => typeof p === "string"
    ? el("tr", {}, el("td", { text: "" }), el("td", { text: "" }), el("td", { text: "" }), el("td", { text: p }))
    : el("tr", {}, el("td", { text: p.location || "" }), el("td", { text: p.field || "" }),
         el("td", { text: p.rule || "" }), el("td", { text: p.message || "" }))));
}

async function select(id) {
  view.selected = id;
  for (const tr of $("requests").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.id === String(id));
  let entry;
  try {
    entry = await call("GET", `requests/${id}`);
  } catch (error) {
    toast(error.message, true);
    return;
  }
  if (view.selected !== id) return;
  $("detail-hint").hidden = true;
  $("detail").hidden = false;
  $("detail-title").textContent = `${entry.method} ${fullPath(entry)} → ${entry.status || "…"}`;
  renderWhy(entry);
  $("curl").textContent = entry.curl;
  fillHeaders($("request-headers"), entry.headers);
  $("request-body").textContent = bodyText(entry.body);
  const response = entry.response || { headers: {}, body: null };
  fillHeaders($("response-headers"), response.headers);
  let shown = bodyText(response.body);
  if (response.truncated) shown += `\n… (first bytes of ${response.size})`;
  $("response-body").textContent = shown;
}

async function copyCurl() {
  const text = $("curl").textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el("textarea", { value: text });
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast("curl command copied");
}

// ---- state and controls ----------------------------------------------------------------------

function fillApiSelects(apis) {
  if (apis.join() === view.apis.join()) return;
  view.apis = apis;
  for (const select of document.querySelectorAll("select.api-select")) {
    const current = select.value;
    const options = apis.map((name) => el("option", { value: name, text: name }));
    if (select.dataset.all) options.unshift(el("option", { value: "", text: select.dataset.all }));
    select.replaceChildren(...options);
    if (current && apis.includes(current)) select.value = current;
  }
  const filter = $("filter-api");
  const chosen = filter.value;
  filter.replaceChildren(el("option", { value: "", text: "all" }),
                         ...apis.map((name) => el("option", { value: name, text: name })));
  filter.value = chosen;
}

function seconds(value) {
  const abs = Math.abs(value);
  if (abs >= 86400) return `${(value / 86400).toFixed(abs % 86400 ? 2 : 0)} d`;
  if (abs >= 3600) return `${(value / 3600).toFixed(abs % 3600 ? 2 : 0)} h`;
  if (abs >= 60) return `${(value / 60).toFixed(abs % 60 ? 1 : 0)} min`;
  return `${Number(value.toFixed(3))} s`;
}

async function refreshState() {
  try {
    const [index, faults, tokens, limits] = await Promise.all([
      call("GET", "./"), call("GET", "faults"), call("GET", "tokens"), call("GET", "rate-limit"),
    ]);
    fillApiSelects(Object.keys(index.apis));
    $("clock").textContent = `clock +${seconds(index.clock_offset)}`;
    $("clock-state").textContent = `The mock's clock is ${seconds(index.clock_offset)} ahead of the wall clock.`;
    const items = faults.faults.map((f) => el("li", {
      text: `#${f.id} ${f.api} ${f.method} ${f.path} → ${f.status}` +
        (f.headers["Retry-After"] ? ` (Retry-After ${f.headers["Retry-After"]})` : "") +
        `: ${f.remaining} of ${f.times} left`,
    }));
    $("faults").replaceChildren(...(items.length ? items : [el("li", { class: "none", text: "No fault queued." })]));
    $("tokens").tBodies[0].replaceChildren(...Object.entries(tokens.tokens).map(([api, c]) => el("tr", { "data-api": api },
      el("td", { text: api }), el("td", { class: "num", text: String(c.issued) }),
      el("td", { class: "num", text: String(c.active) }), el("td", { class: "num", text: String(c.revoked) }))));
    const rules = Object.entries(limits).map(([api, r]) => el("li", { text: `${api}: ${r.limit} per ${r.per_seconds} s` }));
    $("limits").replaceChildren(...(rules.length ? rules : [el("li", { class: "none", text: "No rate limit set." })]));
  } catch (error) {
    $("clock").textContent = "state not reachable";
  }
}

function number(form, name) {
  const raw = form.elements[name].value.trim();
  return raw === "" ? null : Number(raw);
}

function onSubmit(id, action) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      toast(await action(event.target));
    } catch (error) {
      toast(error.message, true);
    }
    refreshState();
  });
}

function onClick(id, action) {
  $(id).addEventListener("click", async () => {
    try {
      toast(await action());
    } catch (error) {
      toast(error.message, true);
    }
    refreshState();
  });
}

function wire() {
  onSubmit("fault-form", async (form) => {
    const fault = { api: form.elements.api.value, method: form.elements.method.value,
                    path: form.elements.path.value || "*", status: number(form, "status"), times: number(form, "times") };
    const retry = number(form, "retry_after");
    if (retry !== null) fault.headers = { "Retry-After": String(retry) };
    const delay = number(form, "delay_ms");
    if (delay) fault.delay_ms = delay;
    const made = await call("POST", "faults", fault);
    return `Fault #${made.id} queued: the next ${made.times} matching call${made.times === 1 ? "" : "s"} answer ${made.status}`;
  });
  onClick("clear-faults", async () => { await call("DELETE", "faults"); return "Faults cleared"; });
  onSubmit("clock-form", async (form) => {
    const moved = await call("POST", "clock/advance", { seconds: number(form, "seconds") });
    return `Clock now ${seconds(moved.offset)} ahead`;
  });
  onSubmit("tokens-form", async (form) => {
    const api = form.elements.api.value;
    const done = await call("POST", "tokens/expire", api ? { api } : {});
    return `${done.expired} token${done.expired === 1 ? "" : "s"} expired`;
  });
  onSubmit("rate-form", async (form) => {
    const rule = { api: form.elements.api.value, limit: number(form, "limit"), per_seconds: number(form, "per_seconds") };
    await call("POST", "rate-limit", rule);
    return `${rule.api}: at most ${rule.limit} calls per ${rule.per_seconds} s per token`;
  });
  onClick("remove-limit", async () => {
    const api = $("rate-form").elements.api.value;
    await call("POST", "rate-limit", { api, limit: null });
    return `${api}: no rate limit`;
  });
  onClick("reset", async () => {
    await call("POST", "reset");
    view.entries.clear();
    renderList();
    return "Mock reset to its seeded start";
  });
  onClick("clear-journal", async () => {
    await call("DELETE", "requests");
    view.entries.clear();
    renderList();
    return "Journal cleared";
  });
  $("pause").addEventListener("click", () => {
    view.paused = !view.paused;
    $("pause").textContent = view.paused ? "Resume" : "Pause";
    $("live").className = view.paused ? "pill paused" : "pill live";
    $("live").textContent = view.paused ? "paused" : "live";
  });
  $("copy-curl").addEventListener("click", copyCurl);
  $("filter-api").addEventListener("change", () => renderList());
  $("filter-status").addEventListener("change", () => renderList());
}

wire();
refreshState();
setInterval(refreshState, STATE_MS);
poll();
