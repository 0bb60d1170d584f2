// The curator's page: start a session, follow its progress (SSE, else polling), show and filter results.
// Every string from the API or upstream goes into the page as text (textContent, append(string)),
// never as markup: titles come from registries and may contain anything. Do not add innerHTML.

import { authorisedFetch, storedToken, withToken } from "./token.js";

const STATUS_LABELS = {
  enriched: "Enriched",
  not_found: "Not found",
  failed: "Failed",
  invalid: "Invalid",
  skipped: "Kept as given",
  pending: "Pending",
};
const STATE_LABELS = {
  idle: "not started",
  queued: "queued",
  running: "running",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};
const SOURCE_LABELS = {
  crossref: "Crossref",
  datacite: "DataCite",
  medra: "mEDRA",
  jalc: "JaLC",
  "landing-page": "Landing page",
  pubmed: "PubMed",
  openlibrary: "Open Library",
  "resource-map": "The CCO",
};
const SCHEME_LABELS = {
  doi: "DOI",
  url: "URL",
  handle: "Handle",
  igsn: "IGSN",
  ark: "ARK",
  arxiv: "arXiv",
  pmid: "PMID",
  pmcid: "PMCID",
  isbn: "ISBN",
};
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const ACTIVE = new Set(["queued", "running"]);
const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;
const ORCID_ID = /(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\/?$/i;
const PAGE_ROWS = 200;
const MAX_SSE_ERRORS = 3;
const POLL_MS = 1000;
const POLL_REFRESH_EVERY = 5;
const numbers = new Intl.NumberFormat("en");

const $ = (id) => document.getElementById(id);
const fmt = (n) => numbers.format(n ?? 0);
const plural = (n, one, many) => `${fmt(n)} ${n === 1 ? one : many}`;

const state = {
  id: null,
  resources: [],
  parts: {}, // parent position -> its parts' positions (relations inside the CCO), from the API
  depth: new Map(), // position -> how deep it is nested under collections
  order: [], // positions in the order rows are shown: each collection followed by its parts
  status: null,
  filter: "all",
  query: "",
  limit: PAGE_ROWS,
  shown: new Map(), // position -> the <tr> on screen
  dirty: new Set(), // positions changed since the last paint
  fullRender: false,
  paintQueued: false,
  loading: 0, // > 0 while a snapshot is being fetched: resources events wait in `buffer`
  buffer: [],
  source: null,
  pollTimer: null,
  generation: 0, // bumped whenever following stops, so late callbacks of an old follower do nothing
  synced: false,
  announced: "",
};

// -- talking to the API ------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await authorisedFetch(path, init);
  } catch {
    throw new ApiError("Could not reach the server; check the connection and try again.", 0, "network");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data?.error?.message || `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(message, response.status, data?.error?.code || `http_${response.status}`);
  }
  return data;
}

const sessionPath = () => `/api/sessions/${encodeURIComponent(state.id)}`;

// -- small DOM helpers ---------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function showAlert(node, message) {
  node.textContent = message;
  node.hidden = !message;
}

function safeUrl(raw) {
  if (typeof raw !== "string" || !raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function orcidUrl(raw) {
  const match = typeof raw === "string" ? ORCID_ID.exec(raw.trim()) : null;
  return match ? `https://orcid.org/${match[1].toUpperCase()}` : null;
}

function externalLink(href, text, className) {
  const link = el("a", className, text);
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  return link;
}

// -- a results row -------------------------------------------------------------------------------

function fullName(author) {
  if (author.family) return author.given ? `${author.given} ${author.family}` : author.family;
  return author.name || author.given || "";
}

function shortName(author) {
  return author.family || author.name || author.given || "";
}

function authorsCell(authors) {
  const td = el("td", "authors");
  td.dataset.label = "Authors";
  const named = (authors || []).filter((a) => shortName(a));
  if (!named.length) {
    td.classList.add("empty");
    td.append(el("span", "muted", "–"));
    return td;
  }
  named.slice(0, 2).forEach((author, index) => {
    if (index) td.append(", ");
    const orcid = orcidUrl(author.orcid);
    if (orcid) {
      const link = externalLink(orcid, shortName(author), "orcid");
      link.title = `${fullName(author)} on ORCID`;
      td.append(link);
    } else {
      td.append(shortName(author));
    }
  });
  if (named.length > 2) td.append(" et al.");
  td.title = named.map(fullName).join("; ");
  return td;
}

function titleCell(resource) {
  const td = el("td", "title");
  td.dataset.label = "Title";
  const url = safeUrl(resource.url);
  const heading = resource.title || (resource.status === "enriched" ? "(no title)" : null);
  if (heading) {
    td.append(url ? externalLink(url, heading, "work") : el("span", "work", heading));
  }
  const id = el("div", "identifier");
  const scheme = resource.scheme || (resource.doi ? "doi" : null);
  if (scheme) {
    const kind = el("span", "scheme", SCHEME_LABELS[scheme] || scheme);
    kind.dataset.scheme = scheme;
    kind.title = "Identifier kind";
    id.append(kind, " ");
  }
  const idUrl = resource.doi ? null : safeUrl(resource.identifier);
  id.append(idUrl ? externalLink(idUrl, resource.identifier) : resource.doi || resource.identifier);
  td.append(id);
  const kind = resource.type ? resource.type.replaceAll("-", " ") : null;
  const where = [resource.container_title, kind, resource.publisher].filter(Boolean);
  if (where.length) td.append(el("div", "where", where.join(" · ")));
  if (resource.error) td.append(el("div", "note", resource.error));
  return td;
}

function partsLine(position) {
  const parts = state.parts[String(position)];
  if (!parts?.length) return null;
  return el("div", "parts", `Collection of ${plural(parts.length, "part", "parts")} in this CCO`);
}

function buildRow(position, resource) {
  const tr = el("tr");
  tr.dataset.status = resource.status;
  tr.dataset.position = String(position);
  const depth = state.depth.get(position) || 0;
  if (depth) {
    tr.dataset.depth = String(Math.min(depth, 3));
    tr.classList.add("part");
  }
  if (state.parts[String(position)]?.length) tr.classList.add("collection");
  const num = el("td", "num", position + 1);
  num.dataset.label = "#";
  const status = el("td", "status");
  status.dataset.label = "Status";
  const badge = el("span", "badge", STATUS_LABELS[resource.status] || resource.status);
  badge.dataset.status = resource.status;
  status.append(badge);
  const year = el("td", "num year", resource.year ?? "");
  year.dataset.label = "Year";
  const from = resource.source || resource.registry || "";
  const source = el("td", "source", SOURCE_LABELS[from] || from);
  source.dataset.label = "Source";
  const title = titleCell(resource);
  const parts = partsLine(position);
  if (parts) title.append(parts);
  tr.append(num, status, title, authorsCell(resource.authors), year, source);
  return tr;
}

// -- the table: filter, search, paging, in-place updates -------------------------------------------

function matches(resource) {
  if (state.filter !== "all" && resource.status !== state.filter) return false;
  if (!state.query) return true;
  const authors = (resource.authors || []).map(fullName).join(" ");
  const scheme = SCHEME_LABELS[resource.scheme] || "";
  const text = [resource.identifier, resource.doi, scheme, resource.title, authors, resource.container_title, resource.year]
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
  return text.includes(state.query);
}

function schedulePaint() {
  if (state.paintQueued) return;
  state.paintQueued = true;
  requestAnimationFrame(paint);
}

function paint() {
  state.paintQueued = false;
  const narrowed = state.filter !== "all" || Boolean(state.query);
  if (!state.fullRender) {
    for (const position of state.dirty) {
      const resource = state.resources[position];
      const row = state.shown.get(position);
      if (row && matches(resource)) {
        const fresh = buildRow(position, resource);
        row.replaceWith(fresh);
        state.shown.set(position, fresh);
      } else if (narrowed) {
        // A row joined or left the filtered view: rebuild it (it is at most `limit` rows).
        state.fullRender = true;
        break;
      }
    }
  }
  state.dirty.clear();
  if (state.fullRender) renderTable();
  renderFilters();
}

// Each collection is followed by its parts (depth first), the rest keeps its input order. A part
// listed before its collection moves under it; a loop of parts is cut where it comes back.
function computeNesting() {
  const parentOf = new Map();
  for (const [parent, parts] of Object.entries(state.parts || {})) {
    for (const part of parts) if (!parentOf.has(part)) parentOf.set(part, Number(parent));
  }
  const order = [];
  const depth = new Map();
  const placed = new Set();
  const place = (position, level) => {
    if (placed.has(position) || position >= state.resources.length) return;
    placed.add(position);
    order.push(position);
    depth.set(position, level);
    for (const part of state.parts[String(position)] || []) place(part, level + 1);
  };
  state.resources.forEach((_, position) => {
    if (!parentOf.has(position)) place(position, 0);
  });
  state.resources.forEach((_, position) => place(position, 0)); // what only loops reach
  state.order = order;
  state.depth = depth;
}

function renderTable() {
  state.fullRender = false;
  state.shown.clear();
  const fragment = document.createDocumentFragment();
  let matched = 0;
  for (const position of state.order) {
    const resource = state.resources[position];
    if (!resource || !matches(resource)) continue;
    matched += 1;
    if (state.shown.size < state.limit) {
      const row = buildRow(position, resource);
      fragment.append(row);
      state.shown.set(position, row);
    }
  }
  $("rows").replaceChildren(fragment);
  const left = matched - state.shown.size;
  const more = $("show-more");
  more.hidden = left <= 0;
  more.textContent = `Show ${fmt(Math.min(left, PAGE_ROWS))} more (${fmt(left)} not shown)`;
  $("empty").hidden = matched > 0;
  $("results-caption").textContent = `Showing ${fmt(state.shown.size)} of ${plural(matched, "resource", "resources")}`;
}

function localCounts() {
  const counts = { all: state.resources.length };
  for (const key of Object.keys(STATUS_LABELS)) counts[key] = 0;
  for (const resource of state.resources) counts[resource.status] = (counts[resource.status] || 0) + 1;
  return counts;
}

function buildFilters() {
  const group = $("filters");
  for (const key of ["all", ...Object.keys(STATUS_LABELS)]) {
    const button = el("button", "filter");
    button.type = "button";
    button.dataset.filter = key;
    if (key !== "all") button.dataset.status = key;
    button.setAttribute("aria-pressed", String(key === state.filter));
    button.append(el("span", "label", key === "all" ? "All" : STATUS_LABELS[key]), " ", el("span", "count"));
    button.addEventListener("click", () => setFilter(key));
    group.append(button);
  }
}

function renderFilters() {
  const counts = localCounts();
  for (const button of $("filters").querySelectorAll("button")) {
    const key = button.dataset.filter;
    button.querySelector(".count").textContent = fmt(counts[key] || 0);
    button.hidden = key !== "all" && !counts[key] && key !== state.filter;
    button.setAttribute("aria-pressed", String(key === state.filter));
  }
}

function setFilter(key) {
  state.filter = key;
  state.limit = PAGE_ROWS;
  state.fullRender = true;
  paint();
}

// -- progress ------------------------------------------------------------------------------------

function renderSummary(created) {
  const node = $("ingest-summary");
  if (!created) {
    node.textContent = state.status ? plural(state.status.total, "resource", "resources") : "";
    return;
  }
  const parts = [plural(created.dois, "DOI", "DOIs")];
  const others = (created.total || 0) - (created.dois || 0) - (created.invalid || 0) - (created.skipped || 0);
  if (others > 0) parts.push(`${plural(others, "other identifier", "other identifiers")}`);
  if (created.duplicates) parts.push(`${plural(created.duplicates, "duplicate", "duplicates")} merged`);
  if (created.invalid) parts.push(`${fmt(created.invalid)} invalid`);
  if (created.skipped) parts.push(`${fmt(created.skipped)} kept as given`);
  // `total` counts resources (duplicates already merged); the curator pasted total + duplicates lines.
  const given = (created.total || 0) + (created.duplicates || 0);
  node.textContent = `${plural(given, "identifier", "identifiers")}: ${parts.join(", ")}`;
}

function renderChips(status) {
  const counts = {
    enriched: status.enriched,
    not_found: status.not_found,
    failed: status.failed,
    invalid: status.invalid,
    skipped: status.skipped,
    pending: Math.max(0, status.total - status.done),
  };
  const fragment = document.createDocumentFragment();
  for (const [key, count] of Object.entries(counts)) {
    if (!count) continue;
    const chip = el("li", "chip");
    chip.dataset.status = key;
    chip.append(el("strong", null, fmt(count)), ` ${STATUS_LABELS[key].toLowerCase()}`);
    fragment.append(chip);
  }
  $("chips").replaceChildren(fragment);
}

function announce(status) {
  const quarter = Math.floor((status.percent || 0) / 25) * 25;
  const text = TERMINAL.has(status.status)
    ? `Enrichment ${STATE_LABELS[status.status]}: ${fmt(status.enriched)} enriched, ${fmt(status.not_found)} not found, ${fmt(status.failed)} failed.`
    : `Enrichment ${STATE_LABELS[status.status] || status.status}${quarter ? `: ${quarter}% done` : ""}.`;
  if (text !== state.announced) {
    state.announced = text;
    $("announcer").textContent = text;
  }
}

function renderStatus(status) {
  state.status = status;
  const percent = Math.max(0, Math.min(100, Number(status.percent) || 0));
  const shown = percent === 100 || percent === 0 ? String(percent) : percent.toFixed(1).replace(/\.0$/, "");
  const badge = $("state-badge");
  badge.textContent = STATE_LABELS[status.status] || status.status;
  badge.dataset.state = status.status;
  $("progress-bar").style.width = `${percent}%`;
  $("progress").dataset.state = status.status;
  $("progress").setAttribute("aria-valuenow", shown);
  $("progress").setAttribute("aria-valuetext", `${shown}%, ${fmt(status.done)} of ${fmt(status.total)} done`);
  $("percent").textContent = `${shown}%`;
  $("done-total").textContent = `${fmt(status.done)} of ${fmt(status.total)} done`;
  renderChips(status);
  const stage = status.message || (status.stage ? status.stage.replaceAll("_", " ") : "");
  $("stage").textContent = stage;
  $("stage").hidden = !stage;

  const terminal = TERMINAL.has(status.status);
  $("cancel").hidden = !ACTIVE.has(status.status);
  const pending = Math.max(0, status.total - status.done);
  $("resume").hidden = !(terminal && pending > 0);
  $("resume").textContent = `Resume (${fmt(pending)} left)`;
  $("retry").hidden = !(terminal && status.failed > 0);
  $("retry").textContent = `Retry ${plural(status.failed, "failed", "failed")}`;
  $("rerun").hidden = !(terminal || status.status === "idle");
  $("rerun").textContent = status.status === "idle" ? "Start enrichment" : "Re-run all";
  document.title = ACTIVE.has(status.status)
    ? `${shown}% · cco_enrich`
    : `${STATE_LABELS[status.status] || status.status} · cco_enrich`;
  announce(status);
}

function setConnection(message) {
  showAlert($("connection"), message);
}

// -- following a session -------------------------------------------------------------------------

function stopFollowing() {
  state.generation += 1;
  if (state.source) state.source.close();
  state.source = null;
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
  setConnection("");
}

function applyResources(changed) {
  if (state.loading) {
    state.buffer.push(changed);
    return;
  }
  let grew = false;
  for (const [key, resource] of Object.entries(changed)) {
    const position = Number(key);
    if (!Number.isInteger(position) || position < 0) continue;
    grew = grew || position >= state.order.length;
    state.resources[position] = resource;
    state.dirty.add(position);
  }
  if (grew) {
    computeNesting();
    state.fullRender = true;
  }
  schedulePaint();
}

function onLiveStatus(status, generation) {
  if (generation !== state.generation) return;
  renderStatus(status);
  if (TERMINAL.has(status.status)) {
    finish();
    return;
  }
  if (!state.synced) {
    // Batches may have landed between our snapshot and the stream's start: catch up once.
    state.synced = true;
    const done = state.resources.filter((r) => r.status !== "pending").length;
    if (done !== status.done) refreshSession();
  }
}

function follow() {
  stopFollowing();
  const generation = state.generation;
  state.synced = false;
  if (!("EventSource" in window)) {
    startPolling(generation);
    return;
  }
  const source = new EventSource(withToken(`${sessionPath()}/events`));
  let errors = 0;
  state.source = source;
  source.addEventListener("open", () => {
    if (generation === state.generation) setConnection("");
  });
  source.addEventListener("status", (event) => {
    errors = 0;
    onLiveStatus(JSON.parse(event.data), generation);
  });
  source.addEventListener("resources", (event) => {
    if (generation === state.generation) applyResources(JSON.parse(event.data));
  });
  source.addEventListener("error", () => {
    if (generation !== state.generation) return;
    errors += 1;
    if (source.readyState === EventSource.CLOSED || errors >= MAX_SSE_ERRORS) {
      source.close();
      state.source = null;
      setConnection("Live updates are unavailable; checking for progress every second instead.");
      startPolling(generation);
    } else {
      setConnection("Connection lost; reconnecting…");
    }
  });
}

function startPolling(generation) {
  let ticks = 0;
  const tick = async () => {
    if (generation !== state.generation) return;
    try {
      const status = await api("GET", `${sessionPath()}/status`);
      ticks += 1;
      if (!TERMINAL.has(status.status) && ticks % POLL_REFRESH_EVERY === 0) await refreshSession();
      state.synced = true;
      onLiveStatus(status, generation);
      if (TERMINAL.has(status.status)) return;
    } catch (error) {
      if (error.status === 404) {
        sessionGone(error.message);
        return;
      }
      setConnection(`${error.message} Retrying…`);
    }
    if (generation === state.generation) state.pollTimer = setTimeout(tick, POLL_MS);
  };
  tick();
}

function finish() {
  stopFollowing();
  refreshSession();
}

function applySession(session) {
  state.resources = session.resources || [];
  state.parts = session.parts || {};
  computeNesting();
  state.dirty.clear();
  state.fullRender = true;
  renderStatus(session.processing_status);
  for (const changed of state.buffer.splice(0)) applyResources(changed);
  schedulePaint();
}

async function refreshSession() {
  const id = state.id;
  state.loading += 1;
  try {
    const session = await api("GET", sessionPath());
    state.loading -= 1;
    if (id === state.id) applySession(session);
  } catch (error) {
    state.loading -= 1;
    if (id !== state.id) return;
    if (error.status === 404) sessionGone(error.message);
    else showAlert($("action-error"), error.message);
  }
}

function sessionGone(message) {
  stopFollowing();
  showView("input");
  history.replaceState(null, "", "/");
  state.id = null;
  showAlert($("form-error"), `That session is gone: ${message} Sessions expire a week after their last use.`);
}

// -- views and actions ---------------------------------------------------------------------------

function showView(view) {
  $("input-panel").hidden = view !== "input";
  $("session-panel").hidden = view !== "session";
  $("results-panel").hidden = view !== "session";
}

function summaryKey(id) {
  return `cco_enrich:summary:${id}`;
}

async function openSession(id, created) {
  stopFollowing();
  Object.assign(state, {
    id,
    resources: [],
    parts: {},
    order: [],
    depth: new Map(),
    status: null,
    filter: "all",
    query: "",
    limit: PAGE_ROWS,
    buffer: [],
  });
  state.shown.clear();
  state.dirty.clear();
  $("search").value = "";
  $("rows").replaceChildren();
  showAlert($("action-error"), "");
  for (const link of document.querySelectorAll("a[data-format]")) {
    link.href = `${sessionPath()}/export?format=${link.dataset.format}`;
  }
  let summary = created;
  if (!summary) {
    try {
      summary = JSON.parse(sessionStorage.getItem(summaryKey(id)) || "null");
    } catch {
      summary = null;
    }
  }
  state.loading += 1;
  let session;
  try {
    session = await api("GET", sessionPath());
  } catch (error) {
    state.loading -= 1;
    if (error.status === 404) sessionGone(error.message);
    else {
      showView("input");
      showAlert($("form-error"), error.message);
    }
    return;
  }
  state.loading -= 1;
  showView("session");
  applySession(session);
  renderSummary(summary);
  if (ACTIVE.has(session.processing_status.status)) follow();
}

async function startSession(event) {
  event.preventDefault();
  const formError = $("form-error");
  showAlert(formError, "");
  const file = $("file").files[0];
  let body;
  if (file) {
    body = new FormData();
    body.append("file", file, file.name);
  } else {
    const identifiers = $("identifiers")
      .value.split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    if (!identifiers.length) {
      showAlert(formError, "Paste at least one identifier, or choose a file.");
      $("identifiers").focus();
      return;
    }
    body = { identifiers };
  }
  const button = $("start");
  button.disabled = true;
  button.textContent = "Starting…";
  try {
    const created = await api("POST", "/api/sessions?enrich=true", body);
    const summary = {
      total: created.total,
      dois: created.dois,
      duplicates: created.duplicates,
      invalid: created.invalid,
      skipped: created.skipped,
    };
    try {
      sessionStorage.setItem(summaryKey(created.id), JSON.stringify(summary));
    } catch {
      // Private browsing may refuse storage; the summary is only a nicety after a reload.
    }
    history.pushState(null, "", `/?session=${encodeURIComponent(created.id)}`);
    await openSession(created.id, summary);
    $("session-heading").focus();
  } catch (error) {
    showAlert(formError, error.message);
  } finally {
    button.disabled = false;
    button.textContent = "Start enrichment";
  }
}

async function act(button, method, path, after) {
  showAlert($("action-error"), "");
  button.disabled = true;
  try {
    const data = await api(method, path);
    await after(data);
  } catch (error) {
    showAlert($("action-error"), error.message);
  } finally {
    button.disabled = false;
  }
}

async function restart() {
  await refreshSession();
  follow();
}

function cancelSession() {
  act($("cancel"), "POST", `${sessionPath()}/cancel`, async (status) => {
    renderStatus(status);
    if (TERMINAL.has(status.status)) finish();
  });
}

function retryFailed() {
  act($("retry"), "POST", `${sessionPath()}/retry`, restart);
}

function resume() {
  act($("resume"), "POST", `${sessionPath()}/enrich`, restart);
}

function rerunAll() {
  const idle = state.status?.status === "idle";
  if (!idle) {
    const dois = state.resources.filter((r) => r.doi).length;
    const question = `Look up all ${plural(dois, "DOI", "DOIs")} again? Results are replaced as new ones arrive.`;
    if (!window.confirm(question)) return;
  }
  act($("rerun"), "POST", `${sessionPath()}/enrich${idle ? "" : "?force=true"}`, restart);
}

// A plain link cannot carry the token: with one, fetch the export and save it from memory.
async function download(event) {
  const link = event.currentTarget;
  if (!storedToken()) return; // no token in use: the browser follows the link itself
  event.preventDefault();
  showAlert($("action-error"), "");
  try {
    const response = await authorisedFetch(link.href, { headers: {} });
    if (!response.ok) throw new Error(`The server answered ${response.status} ${response.statusText}.`);
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] || `cco.${link.dataset.format}`;
    const url = URL.createObjectURL(await response.blob());
    const save = el("a");
    save.href = url;
    save.download = name;
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showAlert($("action-error"), `The download failed: ${error.message}`);
  }
}

function sessionFromUrl() {
  const fromQuery = new URLSearchParams(location.search).get("session");
  const candidate = fromQuery || decodeURIComponent(location.hash.slice(1));
  return SESSION_ID.test(candidate) ? candidate : null;
}

function route() {
  const id = sessionFromUrl();
  if (id) {
    if (id !== state.id) openSession(id);
  } else {
    stopFollowing();
    state.id = null;
    showView("input");
    document.title = "cco_enrich: enrich a list of identifiers";
  }
}

function onFileChosen() {
  const file = $("file").files[0];
  $("clear-file").hidden = !file;
  $("identifiers").disabled = Boolean(file);
}

function setUp() {
  buildFilters();
  $("session-heading").tabIndex = -1;
  $("start-form").addEventListener("submit", startSession);
  $("identifiers").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("start-form").requestSubmit();
  });
  $("file").addEventListener("change", onFileChosen);
  $("clear-file").addEventListener("click", () => {
    $("file").value = "";
    onFileChosen();
    $("file").focus();
  });
  $("identifiers").addEventListener("dragover", (event) => event.preventDefault());
  $("identifiers").addEventListener("drop", (event) => {
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    $("file").files = event.dataTransfer.files;
    onFileChosen();
  });
  for (const link of document.querySelectorAll("a[data-format]")) link.addEventListener("click", download);
  $("cancel").addEventListener("click", cancelSession);
  $("resume").addEventListener("click", resume);
  $("retry").addEventListener("click", retryFailed);
  $("rerun").addEventListener("click", rerunAll);
  $("show-more").addEventListener("click", () => {
    state.limit += PAGE_ROWS;
    state.fullRender = true;
    paint();
  });
  let searchTimer = null;
  $("search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.query = event.target.value.trim().toLowerCase();
      state.limit = PAGE_ROWS;
      state.fullRender = true;
      paint();
    }, 150);
  });
  $("new-list").addEventListener("click", (event) => {
    event.preventDefault();
    history.pushState(null, "", "/");
    route();
    $("identifiers").focus();
  });
  window.addEventListener("popstate", route);
  window.addEventListener("hashchange", route);
  route();
}

setUp();
