// dlopbox status page. Plain JavaScript, no build step. Every path shown here is a master file name,
// i.e. anybody's input: it is only ever set with textContent or as an attribute, never as HTML.
'use strict';

const MAX_FEED_ROWS = 200;
const $ = (id) => document.getElementById(id);

const state = {
  filesUrl: null,
  clockSkewMs: 0, // server time − browser time, so ages are right on a machine with a wrong clock
  statusIntervalMs: 2000,
  historyQuery: null,
  historyNext: null,
  treeLoaded: false,
  treeOffset: null,
};

// ---------- formatting ----------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function bytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toString() : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

function age(iso) {
  const seconds = Math.max(0, (Date.now() + state.clockSkewMs - Date.parse(iso)) / 1000);
  if (seconds < 1) return 'now';
  if (seconds < 60) return Math.floor(seconds) + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
  if (seconds < 86400) return Math.floor(seconds / 3600) + ' h';
  return Math.floor(seconds / 86400) + ' d';
}

// "3 s ago", but "just now" rather than "now ago".
function ageText(iso, suffix) {
  const text = age(iso);
  return suffix && text === 'now' ? 'just now' : text + (suffix || '');
}

function ageCell(iso, suffix) {
  return el('span', { 'data-at': iso, 'data-suffix': suffix || '', title: new Date(iso).toLocaleString(), text: ageText(iso, suffix) });
}

function refreshAges() {
  for (const node of document.querySelectorAll('[data-at]')) {
    node.textContent = ageText(node.dataset.at, node.dataset.suffix);
  }
}

function fileUrl(path) {
  return state.filesUrl ? state.filesUrl.replace(/\/?$/, '/') + path.split('/').map(encodeURIComponent).join('/') : null;
}

function kindBadge(kind) {
  return el('span', { class: 'kind kind-' + kind, text: kind });
}

function pathText(change) {
  const suffix = change.isDir ? '/' : '';
  const path = change.kind === 'move' ? change.oldPath + suffix + ' → ' + change.path + suffix : change.path + suffix;
  // A symlink shows where it points (never followed: it is only text); an attrib its new permission bits.
  if (change.target !== undefined && change.target !== null) return path + ' ⇢ ' + change.target;
  if (change.kind === 'attrib') return path + ' (mode ' + change.mode.toString(8).padStart(3, '0') + ')';
  return path;
}

// ---------- live feed ----------

function addChange(logged) {
  const body = $('feed').tBodies[0];
  const change = logged.change;
  const row = el('tr', { class: 'fresh', 'data-offset': logged.offset },
    el('td', { class: 'age' }, ageCell(logged.receivedAt)),
    el('td', {}, kindBadge(change.kind)),
    el('td', { class: 'path', title: 'offset ' + logged.offset + ' from ' + logged.source, text: pathText(change) }),
    el('td', { class: 'num', text: change.kind === 'write' ? bytes(change.size) : '' }));
  body.prepend(row);
  while (body.rows.length > MAX_FEED_ROWS) body.deleteRow(body.rows.length - 1);
  $('feed-empty').hidden = true;
}

function showStatus(status) {
  state.clockSkewMs = Date.parse(status.serverTime) - Date.now();
  state.filesUrl = status.filesUrl || null;
  $('head').textContent = status.headOffset >= 0 ? status.headOffset.toLocaleString() : 'empty';
  const perMinute = status.throughput.slice(-Math.ceil(60 / status.bucketSeconds)).reduce((sum, b) => sum + b.events, 0);
  $('rate').textContent = perMinute.toLocaleString() + ' events';
  drawChart(status.throughput, status.bucketSeconds);
  $('tree-stale').hidden = state.treeOffset === null || status.headOffset <= state.treeOffset;
  showClients(status.clients);
}

function drawChart(buckets, bucketSeconds) {
  const svg = $('chart');
  const ns = 'http://www.w3.org/2000/svg';
  const width = 600, height = 120, top = 4;
  const max = Math.max(1, ...buckets.map((b) => b.events));
  const barWidth = width / buckets.length;
  svg.replaceChildren();
  buckets.forEach((bucket, i) => {
    const h = (bucket.events / max) * (height - top);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', (i * barWidth + 0.5).toFixed(1));
    rect.setAttribute('y', (height - h).toFixed(1));
    rect.setAttribute('width', Math.max(1, barWidth - 1).toFixed(1));
    rect.setAttribute('height', h.toFixed(1));
    const title = document.createElementNS(ns, 'title');
    title.textContent = new Date(bucket.start).toLocaleTimeString() + ': ' + bucket.events + ' events, ' + bytes(bucket.bytes);
    rect.append(title);
    svg.append(rect);
  });
  const minutes = Math.round(buckets.length * bucketSeconds / 60);
  const total = buckets.reduce((sum, b) => sum + b.events, 0);
  const totalBytes = buckets.reduce((sum, b) => sum + b.bytes, 0);
  $('chart-caption').textContent = total.toLocaleString() + ' events (' + bytes(totalBytes) + ' written) in the last '
    + minutes + ' min; busiest ' + bucketSeconds + ' s slice: ' + max.toLocaleString() + '.';
}

// ---------- replicas ----------

function showClients(clients) {
  const body = $('clients').tBodies[0];
  const staleAfterMs = 3 * Math.max(state.statusIntervalMs, 2000) + 5000;
  let inSync = 0;
  body.replaceChildren(...clients.map((client) => {
    const p = client.progress;
    const stale = Date.now() + state.clockSkewMs - Date.parse(client.lastSeen) > staleAfterMs;
    let behind;
    if (p.phase === 'reconciling' && p.reconcile) {
      const r = p.reconcile;
      behind = el('span', {},
        el('progress', { max: Math.max(1, r.bytesTotal), value: r.bytesDone }),
        ' ' + r.filesDone.toLocaleString() + ' / ' + r.filesTotal.toLocaleString() + ' files, ' + bytes(r.bytesDone) + ' / ' + bytes(r.bytesTotal));
    } else if (client.lagEvents === 0 && !stale) {
      inSync++;
      behind = el('span', { class: 'insync', text: 'in sync' });
    } else if (client.lagEvents === undefined || client.lagEvents === null) {
      behind = el('span', { text: '?' });
    } else {
      behind = el('span', { class: 'behind', text: client.lagEvents.toLocaleString() + ' events · ' + p.lagSeconds.toFixed(1) + ' s' });
    }
    return el('tr', { 'data-client': client.name },
      el('td', { text: client.name }),
      el('td', {}, el('span', { class: 'phase phase-' + (stale ? 'disconnected' : p.phase), text: stale ? 'not reporting' : p.phase })),
      el('td', { class: 'num', text: p.appliedOffset >= 0 ? p.appliedOffset.toLocaleString() : '–' }),
      el('td', {}, behind),
      el('td', { class: 'num', text: p.repaired ? p.repaired.toLocaleString() : '–' }),
      el('td', { class: stale ? 'stale' : '' }, ageCell(client.lastSeen, ' ago')),
      el('td', { class: 'error' }, p.lastError ? el('span', {}, p.lastError, p.lastErrorAt ? ' (' : '', p.lastErrorAt ? ageCell(p.lastErrorAt, ' ago') : null, p.lastErrorAt ? ')' : '') : null));
  }));
  $('clients-empty').hidden = clients.length > 0;
  $('in-sync').textContent = clients.length ? inSync + ' of ' + clients.length : '–';
}

// ---------- connection ----------

function connect() {
  const connection = $('connection');
  const source = new EventSource('live');
  source.addEventListener('open', () => { connection.dataset.state = 'live'; connection.textContent = 'live'; });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself and sends Last-Event-ID, so the feed resumes after the last event shown.
    connection.dataset.state = source.readyState === EventSource.CLOSED ? 'down' : 'connecting';
    connection.textContent = source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…';
  });
  source.addEventListener('change', (e) => addChange(JSON.parse(e.data)));
  source.addEventListener('status', (e) => {
    showStatus(JSON.parse(e.data));
    // The first status message brings the files URL the tree links to.
    if (!state.treeLoaded) { state.treeLoaded = true; loadTree(); }
  });
  source.addEventListener('dropped', (e) => {
    const notice = $('dropped');
    notice.hidden = false;
    notice.textContent = e.data + ' events were not shown: this page fell behind the stream. History below has them all.';
  });
}

// ---------- history ----------

function historyParams(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (!value) continue;
    // datetime-local has no zone: it means the browser's local time.
    params.set(name, name === 'since' || name === 'until' ? new Date(value).toISOString() : value.trim());
  }
  params.set('limit', '50');
  return params;
}

async function searchHistory(params, append) {
  const status = $('history-status');
  const table = $('history-results');
  status.textContent = 'Searching…';
  let response;
  try {
    response = await fetch('events?' + params.toString(), { headers: { Accept: 'application/json' } });
  } catch (error) {
    status.textContent = 'The Interface did not answer: ' + error.message;
    return;
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const errors = body && body.errors ? Object.entries(body.errors).map(([field, messages]) => field + ' ' + messages.join(', ')).join('; ') : '';
    status.textContent = (body && body.title ? body.title : 'Search failed (' + response.status + ')') + (errors ? ' ' + errors : '');
    return;
  }
  const rows = body.events.map((logged) => el('tr', {},
    el('td', { class: 'num', text: logged.offset }),
    el('td', { class: 'age', text: new Date(logged.receivedAt).toLocaleString() }),
    el('td', {}, kindBadge(logged.change.kind)),
    el('td', { class: 'path', text: pathText(logged.change) }),
    el('td', { class: 'num', text: logged.change.kind === 'write' ? bytes(logged.change.size) : '' }),
    el('td', { text: logged.source })));
  const tbody = table.tBodies[0];
  if (append) tbody.append(...rows); else tbody.replaceChildren(...rows);
  table.hidden = tbody.rows.length === 0;
  state.historyQuery = params;
  state.historyNext = body.next ?? null;
  $('history-more').hidden = state.historyNext === null;
  status.textContent = tbody.rows.length === 0 ? 'No event matches.' : tbody.rows.length + ' events shown, newest first.';
}

// ---------- master tree ----------

async function loadTree() {
  const summary = $('tree-summary');
  summary.textContent = 'Loading…';
  let snapshot;
  try {
    const response = await fetch('snapshot', { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    snapshot = await response.json();
  } catch (error) {
    summary.textContent = 'Could not load the snapshot: ' + error.message;
    return;
  }
  const children = new Map([['', []]]);
  let files = 0, dirs = 0, total = 0;
  for (const entry of snapshot.entries) {
    const slash = entry.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : entry.path.slice(0, slash);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(entry);
    if (entry.isDir) { dirs++; if (!children.has(entry.path)) children.set(entry.path, []); } else { files++; total += entry.size || 0; }
  }
  for (const list of children.values()) {
    // Folders first, then by name as people count: file2 before file10.
    list.sort((a, b) => (b.isDir - a.isDir) || a.path.localeCompare(b.path, undefined, { numeric: true }));
  }
  summary.textContent = files.toLocaleString() + ' files, ' + dirs.toLocaleString() + ' dirs, ' + bytes(total)
    + ', as of offset ' + snapshot.offset.toLocaleString() + '.';
  state.treeOffset = snapshot.offset;
  $('tree-stale').hidden = true;
  renderDir($('tree-root'), '', children);
}

// Directories are filled in when opened, so a tree of a million files still opens at once.
function renderDir(list, dir, children) {
  const LIMIT = 1000;
  const entries = children.get(dir) || [];
  list.replaceChildren(...entries.slice(0, LIMIT).map((entry) => {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (entry.isDir) {
      const sub = el('ul');
      const details = el('details', {}, el('summary', { text: name + '/' }), sub);
      details.addEventListener('toggle', () => { if (details.open && !sub.childElementCount) renderDir(sub, entry.path, children); });
      return el('li', {}, details);
    }
    if (entry.target !== undefined && entry.target !== null) {
      return el('li', {}, el('span', { text: name, title: entry.path }), el('span', { class: 'size', text: '⇢ ' + entry.target }));
    }
    const url = fileUrl(entry.path);
    return el('li', {},
      url ? el('a', { href: url, text: name, title: entry.path }) : el('span', { text: name }),
      el('span', { class: 'size', text: bytes(entry.size) }));
  }));
  if (entries.length > LIMIT) list.append(el('li', { class: 'empty', text: '… and ' + (entries.length - LIMIT).toLocaleString() + ' more' }));
  if (dir === '' && entries.length === 0) list.append(el('li', { class: 'empty', text: 'The master dir is empty.' }));
}

// ---------- start ----------

document.addEventListener('DOMContentLoaded', () => {
  $('history-form').addEventListener('submit', (e) => {
    e.preventDefault();
    searchHistory(historyParams(e.target), false);
  });
  $('history-more').addEventListener('click', () => {
    const params = new URLSearchParams(state.historyQuery);
    params.set('after', state.historyNext);
    searchHistory(params, true);
  });
  $('tree-reload').addEventListener('click', loadTree);
  connect();
  searchHistory(new URLSearchParams({ limit: '50' }), false);
  setInterval(refreshAges, 1000);
});
