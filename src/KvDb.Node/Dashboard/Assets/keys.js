// The keys views: a tree by prefix ("/" separated) with counts, paged and searched on the server
// (GET /v1/kv with delimiter, contains, keysOnly, scanLimit), one key's value with its type,
// revision and lease, and create, edit and delete that state the revision they start from
// (If-Match / If-None-Match), so a concurrent change is shown to the user, never overwritten.
import { call, json, keyPath, query, fromBase64, Problem } from './api.js';
import { h, alertText, formatBytes } from './dom.js';
import { Watch } from './live.js';
import { mayReadPrefix, mayRead, mayWrite, grantList, isRoot } from './access.js';
import { historySection, readAt } from './history.js';

const PAGE = 100;
const SHOWN_BYTES = 64 * 1024;
const HEX_BYTES = 4096;
const utf8 = new TextEncoder();

const keysHref = (prefix, extra = {}) => `#/keys?${query({ p: prefix, ...extra })}`;
const keyHref = (key, extra = {}) => `#/key?${query({ k: key, ...extra })}`;

function crumbs(prefix) {
  const parts = [h('a', { href: keysHref('') }, '(all keys)')];
  let at = 0;
  while (at < prefix.length) {
    const slash = prefix.indexOf('/', at);
    const end = slash < 0 ? prefix.length : slash + 1;
    parts.push(' ', h('a', { href: keysHref(prefix.slice(0, end)) }, prefix.slice(at, end)));
    at = end;
  }
  return h('nav', { class: 'crumbs', 'aria-label': 'Prefix' }, parts);
}

function problemBox(error) {
  if (error instanceof Problem && error.status === 403) {
    return h('div', { class: 'forbidden', id: 'forbidden', role: 'alert' },
      h('strong', {}, 'Not allowed. '), error.message);
  }
  return h('div', { class: 'alert', role: 'alert' }, error.message);
}

/** #/keys: one prefix's keys and sub-prefixes, or a search under it. */
export function renderKeys(main, params, cleanup) {
  const prefix = params.get('p') || '';
  const search = params.get('q') || '';
  const mode = params.get('mode') === 'prefix' ? 'prefix' : 'contains';

  const searchInput = h('input', { id: 'search', name: 'q', type: 'search', value: search, autocomplete: 'off' });
  const modeSelect = h('select', { id: 'search-mode', name: 'mode' },
    h('option', { value: 'contains', selected: mode === 'contains' }, 'Key contains'),
    h('option', { value: 'prefix', selected: mode === 'prefix' }, 'Key starts with'));
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    location.hash = keysHref(prefix, { q: searchInput.value, mode: modeSelect.value });
  } },
  h('label', { for: 'search' }, `Search under ${prefix || 'all keys'}`, searchInput),
  h('label', { for: 'search-mode' }, 'Match', modeSelect),
  h('button', { type: 'submit', id: 'search-button' }, 'Search'),
  search ? h('a', { href: keysHref(prefix) }, 'Clear search') : null);

  const tbody = h('tbody', {});
  const table = h('table', { id: 'keys-table' },
    h('caption', { class: 'muted', style: null }, search ? `Keys under ${prefix || '(all keys)'} matching “${search}”` : `Keys under ${prefix || '(all keys)'}`),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'Keys / size'),
      h('th', { scope: 'col', class: 'num' }, 'Revision'), h('th', { scope: 'col', class: 'num hide-narrow' }, 'Lease'))),
    tbody);
  const status = h('p', { id: 'keys-status', class: 'muted', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'more', class: 'secondary', hidden: true }, 'Load more');
  const actions = h('div', { class: 'actions' },
    mayWrite(prefix) ? h('a', { href: `#/new?${query({ p: prefix })}`, id: 'new-key-link' }, 'New key') : null,
    h('a', { href: `#/transfer?${query({ p: prefix })}`, id: 'transfer-link' }, 'Import / export'));

  main.replaceChildren(h('h1', {}, 'Keys'), crumbs(prefix), form, actions, table, more, status);

  if (!mayReadPrefix(prefix) && !search) {
    // A user granted only some prefixes cannot list this one: offer theirs instead of a 403.
    const readable = grantList().filter((g) => g.access.includes('read') && g.prefix.startsWith(prefix));
    table.replaceWith(h('div', { class: 'notice', id: 'grants' },
      h('p', {}, 'Your roles let you read these prefixes:'),
      h('ul', {}, readable.map((g) => h('li', {}, h('a', { href: keysHref(g.prefix), class: 'grant' }, g.prefix || '(all keys)'))))));
    return;
  }

  const state = { continuation: null, revision: 0, items: new Map(), groups: new Map(), scanned: 0, done: false };
  const grouped = !search;

  function row(entry) {
    if (entry.group) {
      const name = entry.prefix.slice(prefix.length);
      return h('tr', { dataset: { prefix: entry.prefix } },
        h('td', { class: 'key' }, h('a', { href: keysHref(entry.prefix) }, name)),
        h('td', { class: 'num count' }, `${entry.count}${entry.partial ? '+' : ''} ${entry.count === 1 && !entry.partial ? 'key' : 'keys'}`),
        h('td', { class: 'num' }), h('td', { class: 'num hide-narrow' }));
    }
    const name = grouped ? entry.key.slice(prefix.length) : entry.key;
    return h('tr', { dataset: { key: entry.key } },
      h('td', { class: 'key' }, h('a', { href: keyHref(entry.key) }, name || '(this prefix itself)')),
      h('td', { class: 'num' }, formatBytes(entry.size), entry.typed ? ' JSON' : ''),
      h('td', { class: 'num revision' }, String(entry.revision)),
      h('td', { class: 'num hide-narrow' }, entry.lease ? String(entry.lease) : ''));
  }

  function sortKey(tr) { return tr.dataset.key ?? tr.dataset.prefix; }

  function place(tr) {
    const name = sortKey(tr);
    const existing = [...tbody.children].find((other) => sortKey(other) === name);
    if (existing) { existing.replaceWith(tr); return; }
    const after = [...tbody.children].find((other) => sortKey(other) > name);
    if (after) tbody.insertBefore(tr, after); else tbody.append(tr);
  }

  function showStatus() {
    const text = `${state.items.size} keys and ${state.groups.size} prefixes shown`;
    status.textContent = state.done ? `${text}.` : `${text}; more to load (${state.scanned} keys examined so far).`;
    more.hidden = state.done;
  }

  async function load() {
    more.disabled = true;
    try {
      const params = { keysOnly: 'true', limit: PAGE, continuation: state.continuation };
      if (search && mode === 'prefix') params.prefix = prefix + search;
      else params.prefix = prefix;
      if (search && mode === 'contains') params.contains = search;
      if (grouped) params.delimiter = '/';
      if (!params.prefix) { delete params.prefix; params.start = ''; }
      const page = await json(`/v1/kv?${query(params)}`);
      if (!state.revision) state.revision = page.revision;
      state.scanned += page.scanned || 0;
      const lastGroup = page.prefixes && page.prefixes.length ? page.prefixes[page.prefixes.length - 1].prefix : null;
      for (const group of page.prefixes || []) {
        const known = state.groups.get(group.prefix);
        const entry = { group: true, prefix: group.prefix, count: (known ? known.count : 0) + group.count };
        entry.partial = !!page.continuation && group.prefix === lastGroup;
        state.groups.set(group.prefix, entry);
        place(row(entry));
      }
      for (const item of page.items) {
        state.items.set(item.key, item);
        place(row(item));
      }
      state.continuation = page.continuation;
      state.done = !page.continuation;
      showStatus();
      // Time to interactive, as the docs report it: the first list shown after the page loaded.
      if (!performance.getEntriesByName('kvdb:keys-shown').length) performance.mark('kvdb:keys-shown');
    } catch (error) {
      table.replaceWith(problemBox(error));
      more.hidden = true;
      return false;
    } finally {
      more.disabled = false;
    }
    return true;
  }

  function loadedThrough(key) {
    if (state.done) return true;
    const rows = [...tbody.children];
    return rows.length > 0 && key <= sortKey(rows[rows.length - 1]);
  }

  function applyChange(event) {
    const rest = event.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      const groupPrefix = prefix + rest.slice(0, slash + 1);
      let entry = state.groups.get(groupPrefix);
      const delta = event.type === 'delete' ? -1 : (event.prevRevision ? 0 : 1);
      if (!entry && (delta <= 0 || !loadedThrough(groupPrefix))) return;
      entry = entry || { group: true, prefix: groupPrefix, count: 0 };
      entry.count += delta;
      if (entry.count <= 0) {
        state.groups.delete(groupPrefix);
        tbody.querySelector(`tr[data-prefix="${CSS.escape(groupPrefix)}"]`)?.remove();
      } else {
        state.groups.set(groupPrefix, entry);
        const tr = row(entry);
        if (delta !== 0) tr.classList.add('changed');
        place(tr);
      }
    } else if (event.type === 'delete') {
      state.items.delete(event.key);
      tbody.querySelector(`tr[data-key="${CSS.escape(event.key)}"]`)?.remove();
    } else {
      if (!state.items.has(event.key) && !loadedThrough(event.key)) return;
      const size = event.value !== undefined ? utf8.encode(event.value).length : fromBase64(event.valueBase64 || '').length;
      const item = { key: event.key, size, typed: event.typed, revision: event.revision, lease: state.items.get(event.key)?.lease };
      state.items.set(event.key, item);
      const tr = row(item);
      tr.classList.add('changed');
      place(tr);
    }
    showStatus();
  }

  more.addEventListener('click', () => load());
  load().then((ok) => {
    if (!ok || search) return;
    const watch = new Watch({ prefix, after: state.revision, onEvent: applyChange, onReset: () => renderKeys(main, params, cleanup) }).start();
    cleanup.push(() => watch.stop());
  });
}

async function readKey(key) {
  const page = await json(`/v1/kv?${query({ start: key, end: `${key}\u0000`, limit: 1 })}`);
  const item = page.items.find((i) => i.key === key);
  if (!item) return null;
  const bytes = item.valueBase64 !== undefined ? fromBase64(item.valueBase64) : utf8.encode(item.value);
  return { ...item, bytes, binary: item.valueBase64 !== undefined, readAt: page.revision };
}

function hex(bytes) {
  const lines = [];
  for (let at = 0; at < Math.min(bytes.length, HEX_BYTES); at += 16) {
    const chunk = [...bytes.slice(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${chunk}`);
  }
  return lines.join('\n');
}

function typeOf(entry) {
  if (entry.binary) return 'binary';
  if (entry.typed) return 'typed JSON';
  return 'text';
}

function shownValue(entry) {
  if (entry.binary) return { text: hex(entry.bytes), cut: entry.bytes.length > HEX_BYTES, shown: Math.min(entry.bytes.length, HEX_BYTES) };
  let text = entry.value;
  if (entry.typed && entry.bytes.length <= SHOWN_BYTES) {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as stored */ }
  }
  if (entry.bytes.length > SHOWN_BYTES) return { text: new TextDecoder().decode(entry.bytes.slice(0, SHOWN_BYTES)), cut: true, shown: SHOWN_BYTES };
  return { text, cut: false, shown: entry.bytes.length };
}

function downloadButton(entry) {
  return h('button', { type: 'button', class: 'secondary', id: 'download', onclick: () => {
    const blob = new Blob([entry.bytes], { type: entry.typed ? 'application/json' : 'application/octet-stream' });
    const link = h('a', { href: URL.createObjectURL(blob), download: entry.key.replaceAll('/', '_') });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } }, `Download (${formatBytes(entry.bytes.length)})`);
}

function valueView(entry, id = 'value') {
  const shown = shownValue(entry);
  return [
    shown.cut ? h('p', { class: 'notice', id: `${id}-truncated` }, `Showing the first ${formatBytes(shown.shown)} of ${formatBytes(entry.bytes.length)}; download the value for all of it.`) : null,
    h('pre', { class: 'value', id, tabindex: '0', 'aria-label': 'Value' }, shown.text),
  ].filter(Boolean); // replaceChildren(...) would show a null as the text "null"
}

async function write(key, text, typed, headers) {
  if (typed) {
    let value;
    try { value = JSON.parse(text); } catch (e) { throw new Problem(400, { detail: `The typed value is not JSON: ${e.message}` }); }
    return call('/api', { method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ key, value }) });
  }
  return call(keyPath(key), { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', ...headers }, body: text });
}

const atHref = (key) => (revision) => keyHref(key, { rev: revision });

/** #/key?k=K&rev=R: the key as it was right after revision R, read-only. */
async function renderKeyAt(main, key, revision, parent) {
  const heading = h('h1', {}, key);
  const back = h('p', {}, h('a', { href: keyHref(key), id: 'current-link' }, 'Back to the current value'));
  const note = h('p', { class: 'notice', id: 'at-note' }, `As it was right after revision ${revision} (read-only).`);
  main.replaceChildren(crumbs(parent), heading, note, h('p', { class: 'muted' }, 'Loading…'));
  let answer;
  try {
    answer = await readAt(key, revision);
  } catch (error) {
    main.replaceChildren(crumbs(parent), heading, note, problemBox(error), back);
    return;
  }
  if (answer.message) {
    main.replaceChildren(crumbs(parent), heading, h('div', { class: 'forbidden', id: 'at-unavailable', role: 'alert' }, answer.message), back,
      historySection(key, atHref(key)));
    return;
  }
  if (!answer.entry) {
    main.replaceChildren(crumbs(parent), heading, note, h('p', { class: 'notice', id: 'not-found' }, `The key did not exist right after revision ${revision}.`), back,
      historySection(key, atHref(key)));
    return;
  }
  const entry = answer.entry;
  const meta = h('dl', { class: 'meta', id: 'meta' },
    h('dt', {}, 'Type'), h('dd', { id: 'meta-type' }, typeOf(entry)),
    h('dt', {}, 'Size'), h('dd', { id: 'meta-size' }, formatBytes(entry.bytes.length)),
    h('dt', {}, 'Written at revision'), h('dd', { id: 'meta-revision' }, String(entry.revision)));
  main.replaceChildren(crumbs(parent), heading, note, meta, ...valueView(entry), h('div', { class: 'actions' }, downloadButton(entry)), back,
    historySection(key, atHref(key)));
}

/** #/key: one key, read-only unless ?edit=1; ?rev=R shows it at a past revision. */
export async function renderKey(main, params, cleanup) {
  const key = params.get('k') || '';
  const editing = params.get('edit') === '1';
  const parent = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  const heading = h('h1', {}, key);
  if (params.has('rev')) {
    await renderKeyAt(main, key, params.get('rev'), parent);
    return;
  }
  main.replaceChildren(crumbs(parent), heading, h('p', { class: 'muted' }, 'Loading…'));

  let entry;
  try {
    entry = await readKey(key);
  } catch (error) {
    main.replaceChildren(crumbs(parent), heading, problemBox(error));
    return;
  }
  if (!entry) {
    main.replaceChildren(crumbs(parent), heading, h('p', { class: 'notice', id: 'not-found' }, 'No value is stored under this key (it was deleted, or never written).'),
      mayWrite(key) ? h('a', { href: `#/new?${query({ p: key })}` }, 'Create it') : null, historySection(key, atHref(key)));
    return;
  }

  const meta = h('dl', { class: 'meta', id: 'meta' },
    h('dt', {}, 'Type'), h('dd', { id: 'meta-type' }, typeOf(entry)),
    h('dt', {}, 'Size'), h('dd', { id: 'meta-size' }, formatBytes(entry.bytes.length)),
    h('dt', {}, 'Revision'), h('dd', { id: 'meta-revision' }, String(entry.revision)),
    h('dt', {}, 'Lease'), h('dd', { id: 'meta-lease' }, entry.lease ? String(entry.lease) : 'none'));
  const changed = h('p', { class: 'notice', id: 'changed', 'aria-live': 'polite', hidden: true });
  const writable = mayWrite(key);

  const watch = new Watch({ key, after: entry.readAt, onEvent: (event) => {
    changed.hidden = false;
    changed.textContent = event.type === 'delete'
      ? `This key was deleted at revision ${event.revision}.`
      : `This key changed at revision ${event.revision}${editing ? ' while you were editing; saving will show the conflict.' : '.'}`;
    if (!editing) renderKey(main, params, cleanup);
  }, onReset: () => {} }).start();
  cleanup.push(() => watch.stop());

  if (!editing) {
    const actions = h('div', { class: 'actions' });
    if (writable) {
      actions.append(h('a', { href: keyHref(key, { edit: 1 }), id: 'edit', class: 'button' }, 'Edit'));
      const confirmBox = h('div', { class: 'conflict', id: 'confirm-box', hidden: true },
        h('p', {}, `Delete “${key}” at revision ${entry.revision}?`),
        h('button', { type: 'button', class: 'danger', id: 'confirm-delete', onclick: async () => {
          try {
            await call(keyPath(key), { method: 'DELETE', headers: { 'If-Match': `"${entry.revision}"` } });
            location.hash = keysHref(parent);
          } catch (error) {
            confirmBox.replaceWith(error.status === 412
              ? h('div', { class: 'conflict', id: 'conflict', role: 'alert' }, 'Not deleted: the key changed since you opened it. Look at its new value first.')
              : problemBox(error));
          }
        } }, 'Delete'),
        ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => { confirmBox.hidden = true; } }, 'Cancel'));
      actions.append(h('button', { type: 'button', class: 'secondary', id: 'delete', onclick: () => { confirmBox.hidden = false; confirmBox.querySelector('button').focus(); } }, 'Delete…'), confirmBox);
    } else {
      actions.append(h('p', { class: 'muted', id: 'read-only' }, 'Read-only: your roles do not let you change this key.'));
    }
    actions.append(downloadButton(entry));
    main.replaceChildren(crumbs(parent), heading, meta, changed, ...valueView(entry), actions, historySection(key, atHref(key)));
    return;
  }

  if (!writable) {
    main.replaceChildren(crumbs(parent), heading, h('p', { class: 'forbidden', id: 'forbidden' }, 'Read-only: your roles do not let you change this key.'), meta, ...valueView(entry));
    return;
  }
  if (entry.binary || entry.bytes.length > SHOWN_BYTES) {
    main.replaceChildren(crumbs(parent), heading, meta, h('p', { class: 'notice' }, 'This value is binary or too large to edit here; download it instead.'), downloadButton(entry));
    return;
  }

  let base = entry.revision;
  const editor = h('textarea', { id: 'value-editor', name: 'value', spellcheck: 'false' });
  editor.value = entry.typed ? shownValue(entry).text : entry.value;
  const outcome = h('div', { id: 'outcome', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', id: 'save' }, 'Save');
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      await write(key, editor.value, entry.typed, { 'If-Match': `"${base}"` });
      location.hash = keyHref(key);
    } catch (error) {
      if (error.status !== 412) { outcome.replaceChildren(problemBox(error)); return; }
      const current = await readKey(key).catch(() => null);
      const now = error.body.currentRevision || current?.revision;
      outcome.replaceChildren(h('div', { class: 'conflict', id: 'conflict', role: 'alert', tabindex: '-1' },
        h('p', {}, h('strong', {}, 'Not saved: '), current
          ? `someone else changed this key since you opened it (it is now at revision ${now}). Their value is below; your edit is still in the editor.`
          : 'someone else deleted this key since you opened it. Your edit is still in the editor.'),
        current ? valueView(current, 'conflict-value') : null,
        h('div', { class: 'actions' },
          h('a', { href: keyHref(key), id: 'discard' }, 'Discard my edit'),
          current ? h('button', { type: 'button', class: 'danger', id: 'overwrite', onclick: () => { base = current.revision; form.requestSubmit(); } }, `Replace revision ${current.revision} with my edit`) : null)));
      outcome.firstChild.focus();
    } finally {
      save.disabled = false;
    }
  } },
  h('label', { for: 'value-editor', class: 'block' }, entry.typed ? 'Typed value (JSON, externally tagged like {"Str": "text"})' : 'Value (text)', editor),
  h('div', { class: 'actions' }, save, h('a', { href: keyHref(key), id: 'cancel' }, 'Cancel')));
  main.replaceChildren(crumbs(parent), heading, meta, changed, h('p', { class: 'muted' }, `Editing revision ${entry.revision}. Saving succeeds only if nobody changed the key meanwhile.`), form, outcome);
  editor.focus();
}

/** #/new: create a key under a prefix (If-None-Match: *, so an existing key is never replaced). */
export function renderNew(main, params) {
  const prefix = params.get('p') || '';
  const keyInput = h('input', { id: 'new-key', name: 'key', value: prefix, required: true, autocomplete: 'off', size: 40 });
  const typeSelect = h('select', { id: 'new-type', name: 'type' }, h('option', { value: 'text' }, 'Text'), h('option', { value: 'typed' }, 'Typed JSON'));
  const editor = h('textarea', { id: 'new-value', name: 'value', spellcheck: 'false' });
  const outcome = h('div', { id: 'outcome', 'aria-live': 'polite' });
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    const key = keyInput.value;
    try {
      await write(key, editor.value, typeSelect.value === 'typed', { 'If-None-Match': '*' });
      location.hash = keyHref(key);
    } catch (error) {
      outcome.replaceChildren(error.status === 412
        ? h('div', { class: 'conflict', id: 'conflict', role: 'alert' }, 'Not created: a key with this name already exists. ', h('a', { href: keyHref(key) }, 'Open it'))
        : problemBox(error));
    }
  } },
  h('label', { for: 'new-key' }, 'Key', keyInput),
  h('label', { for: 'new-type' }, 'Type', typeSelect),
  h('label', { for: 'new-value', class: 'block' }, 'Value', editor),
  h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'create' }, 'Create'), h('a', { href: keysHref(prefix) }, 'Cancel')));
  main.replaceChildren(crumbs(prefix), h('h1', {}, 'New key'), form, outcome);
  keyInput.focus();
  alertText('');
}

export { isRoot, mayRead };
