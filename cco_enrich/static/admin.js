// The admin page: queue counts, live workers and recent sessions from /admin/api/overview, every 2 s.
// Rows are updated in place (never rebuilt) so keyboard focus on a button survives a refresh.
// Text from the API goes in with textContent only.

import { authorisedFetch } from "./token.js";

const REFRESH_MS = 2000;
const STALE_HEARTBEAT_S = 30;
const STATES = ["queued", "running", "completed", "failed", "cancelled", "idle"];
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const ACTIVE = new Set(["queued", "running"]);
const numbers = new Intl.NumberFormat("en");
const fmt = (n) => numbers.format(n ?? 0);
const $ = (id) => document.getElementById(id);

const rows = new Map(); // session id -> { tr, cells, buttons }
let timer = null;
let busy = false;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function call(method, path) {
  let response;
  try {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    // Session actions go through the public API, which may want CCO_API_TOKEN (admin's cookie is
    // not that token); /admin/api/ itself goes by the login cookie and must not get it.
    response = await (path.startsWith("/api/") ? authorisedFetch(path, init) : fetch(path, init));
  } catch {
    throw Object.assign(new Error("Could not reach the server; retrying."), { status: 0 });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = data?.error?.message || `The server answered ${response.status}.`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return data;
}

function ago(seconds) {
  if (!Number.isFinite(seconds)) return "unknown";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function secondsBetween(later, earlier) {
  return (Date.parse(later) - Date.parse(earlier)) / 1000;
}

function renderCounts(counts) {
  const fragment = document.createDocumentFragment();
  for (const name of STATES) {
    const item = el("li", "stat");
    item.dataset.state = name;
    item.append(el("span", "value", fmt(counts[name])), el("span", "name", name));
    fragment.append(item);
  }
  $("counts").replaceChildren(fragment);
}

function sessionsCell(value) {
  const td = el("td", "identifier");
  const ids = Array.isArray(value) ? value : [];
  if (!ids.length) {
    td.textContent = Array.isArray(value) || value === null || value === undefined ? "idle" : String(value);
    return td;
  }
  ids.forEach((id, index) => {
    if (index) td.append(", ");
    const link = el("a", null, id);
    link.href = `/?session=${encodeURIComponent(id)}`;
    td.append(link);
  });
  return td;
}

function renderWorkers(workers, now) {
  const fragment = document.createDocumentFragment();
  for (const worker of workers) {
    const tr = el("tr");
    const age = secondsBetween(now, worker.heartbeat);
    const heartbeat = el("td", age > STALE_HEARTBEAT_S ? "stale" : "", ago(age));
    heartbeat.title = worker.heartbeat || "";
    tr.append(
      el("td", "identifier", worker.id),
      el("td", null, worker.host ?? ""),
      el("td", "num", worker.pid ?? ""),
      sessionsCell(worker.sessions),
      heartbeat,
    );
    fragment.append(tr);
  }
  $("workers").replaceChildren(fragment);
  $("workers-count").textContent = `(${fmt(workers.length)})`;
  $("no-workers").hidden = workers.length > 0;
}

function actionButton(label, className, handler) {
  const button = el("button", className, label);
  button.type = "button";
  button.addEventListener("click", handler);
  return button;
}

async function act(id, button, method, path, done) {
  button.disabled = true;
  try {
    await call(method, path);
    $("action-result").textContent = done;
    showError("");
  } catch (error) {
    showError(`${id}: ${error.message}`);
  } finally {
    button.disabled = false;
    refresh();
  }
}

function createRow(id) {
  const tr = el("tr");
  tr.dataset.id = id;
  const link = el("a", "identifier", id);
  link.href = `/?session=${encodeURIComponent(id)}`;
  const idCell = el("td");
  idCell.append(link);
  const state = el("span", "state");
  const stateCell = el("td");
  stateCell.append(state);
  const bar = el("span");
  const meter = el("span", "mini-progress");
  meter.append(bar);
  const percent = el("span");
  const progressCell = el("td", "progress-cell");
  progressCell.append(meter, percent);
  const counts = el("td", "where");
  const updated = el("td", "updated");
  const path = `/api/sessions/${encodeURIComponent(id)}`;
  const buttons = {};
  buttons.retry = actionButton("Retry failed", null, () =>
    act(id, buttons.retry, "POST", `${path}/retry`, `${id}: failed resources queued again.`),
  );
  buttons.cancel = actionButton("Cancel", null, () =>
    act(id, buttons.cancel, "POST", `${path}/cancel`, `${id}: cancel requested.`),
  );
  buttons.remove = actionButton("Delete", "danger", () => {
    if (window.confirm(`Delete session ${id} and all its results?`)) {
      act(id, buttons.remove, "DELETE", path, `${id}: deleted.`);
    }
  });
  for (const button of Object.values(buttons)) button.setAttribute("aria-label", `${button.textContent}: ${id}`);
  const actions = el("div", "row-actions");
  actions.append(buttons.retry, buttons.cancel, buttons.remove);
  const actionsCell = el("td");
  actionsCell.append(actions);
  tr.append(idCell, stateCell, progressCell, counts, updated, actionsCell);
  return { tr, state, bar, percent, counts, updated, buttons };
}

function updateRow(row, status, now) {
  row.state.textContent = status.status;
  row.state.dataset.state = status.status;
  const percent = Math.max(0, Math.min(100, Number(status.percent) || 0));
  row.bar.style.width = `${percent}%`;
  row.bar.parentElement.dataset.state = status.status;
  row.percent.textContent = `${percent}%`;
  const parts = [`${fmt(status.done)}/${fmt(status.total)} done`, `${fmt(status.enriched)} enriched`];
  if (status.not_found) parts.push(`${fmt(status.not_found)} not found`);
  if (status.failed) parts.push(`${fmt(status.failed)} failed`);
  row.counts.textContent = parts.join(" · ");
  row.updated.textContent = ago(secondsBetween(now, status.updated_at));
  row.updated.title = status.updated_at || "";
  row.buttons.retry.hidden = !(TERMINAL.has(status.status) && status.failed > 0);
  row.buttons.cancel.hidden = !ACTIVE.has(status.status);
}

function renderSessions(sessions, now) {
  const body = $("sessions");
  const seen = new Set();
  sessions.forEach(({ id, processing_status: status }, index) => {
    seen.add(id);
    let row = rows.get(id);
    if (!row) {
      row = createRow(id);
      rows.set(id, row);
    }
    updateRow(row, status, now);
    // Move a row only when its place changed: moving the focused row would lose the focus.
    if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
  });
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.tr.remove();
      rows.delete(id);
    }
  }
  $("no-sessions").hidden = sessions.length > 0;
}

async function refresh() {
  clearTimeout(timer);
  if (busy) return;
  busy = true;
  try {
    const overview = await call("GET", "/admin/api/overview");
    renderCounts(overview.counts);
    renderWorkers(overview.workers, overview.server_time);
    renderSessions(overview.sessions, overview.server_time);
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    if ($("error").dataset.kind === "refresh") {
      showError("");
      delete $("error").dataset.kind;
    }
  } catch (error) {
    if (error.status === 401) {
      showError("Your admin login has expired. Reload the page to log in again.");
      busy = false;
      return;
    }
    showError(error.message);
    $("error").dataset.kind = "refresh";
  } finally {
    busy = false;
  }
  if (!document.hidden) timer = setTimeout(refresh, REFRESH_MS);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});
refresh();
