// Lists: the keyspaces the user may read with their counts (GET /v1/keyspaces), a keyspace's
// lists (GET /v1/keyspaces/{ks}/lists, paged), and one list's items (GET /v1/lists/{ks}/{key})
// paged both ways with the answers' continuations, and followed at the tail
// (?follow=true streams NDJSON through fetch; the stream is aborted when the user leaves).
// Invariants: the items shown are one run of consecutive offsets, in offset order; following
// starts right after the newest offset shown, so nothing is missed or shown twice.
import { authHeaders, json, readBlocks, Problem } from './api.js';
import { h, formatBytes } from './dom.js';
import { showLive } from './live.js';

const PAGE = 50;
const SHOWN_CHARS = 200;

const listsHref = (params = {}) => `#/lists?${new URLSearchParams(params)}`;
const pathOf = (keyspace, key) => `${encodeURIComponent(keyspace)}/${key.split('/').map(encodeURIComponent).join('/')}`;

function problemBox(error) {
  return h('div', { class: error instanceof Problem && error.status === 403 ? 'forbidden' : 'alert', id: 'lists-problem', role: 'alert' }, error.message);
}

const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : '');

/** #/lists: the keyspaces; #/lists?ks=: one keyspace's lists; #/lists?ks=&k=: one list. */
export function renderLists(main, params, cleanup) {
  const keyspace = params.get('ks');
  const key = params.get('k');
  if (keyspace !== null && key !== null) renderList(main, keyspace, key, cleanup);
  else if (keyspace !== null) renderKeyspace(main, keyspace);
  else renderKeyspaces(main);
}

async function renderKeyspaces(main) {
  const tbody = h('tbody', {});
  main.replaceChildren(h('h1', {}, 'Keyspaces'), h('table', { id: 'keyspaces' },
    h('caption', {}, 'Keyspaces of lists you may read'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Keyspace'), h('th', { scope: 'col', class: 'num' }, 'Lists'),
      h('th', { scope: 'col', class: 'num' }, 'Items'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'))),
    tbody));
  try {
    const answer = await json('/v1/keyspaces');
    tbody.replaceChildren(...answer.keyspaces.map((ks) => h('tr', { dataset: { keyspace: ks.name } },
      h('td', { class: 'key' }, h('a', { href: listsHref({ ks: ks.name }) }, ks.name)),
      h('td', { class: 'num' }, String(ks.keys)), h('td', { class: 'num' }, String(ks.items)),
      h('td', { class: 'num' }, formatBytes(ks.bytes)), h('td', { class: 'hide-narrow' }, ks.createdAt))));
    if (!answer.keyspaces.length) main.append(h('p', { class: 'muted', id: 'no-keyspaces' }, 'No keyspace you may read.'));
  } catch (error) {
    main.append(problemBox(error));
  }
}

async function renderKeyspace(main, keyspace) {
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', id: 'lists-more', class: 'secondary', hidden: true }, 'More lists');
  const keyInput = h('input', { id: 'list-key', name: 'k', required: true, autocomplete: 'off' });
  const open = h('form', { class: 'search', onsubmit: (e) => { e.preventDefault(); location.hash = listsHref({ ks: keyspace, k: keyInput.value }); } },
    h('label', { for: 'list-key' }, 'Open a list by key', keyInput), h('button', { type: 'submit', id: 'open-list' }, 'Open'));
  const summary = h('dl', { class: 'meta', id: 'keyspace-meta' });
  main.replaceChildren(h('nav', { class: 'crumbs', 'aria-label': 'Keyspace' }, h('a', { href: listsHref() }, '(all keyspaces)')),
    h('h1', {}, `Keyspace ${keyspace}`), summary, open,
    h('table', { id: 'lists' }, h('caption', {}, 'Its lists you may read'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'List'), h('th', { scope: 'col', class: 'num' }, 'Items'),
        h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Last item'))),
      tbody), more);
  try {
    const ks = await json(`/v1/keyspaces/${encodeURIComponent(keyspace)}`);
    summary.replaceChildren(h('dt', {}, 'Lists'), h('dd', {}, String(ks.keys)), h('dt', {}, 'Items'), h('dd', {}, String(ks.items)),
      h('dt', {}, 'Size'), h('dd', {}, formatBytes(ks.bytes)), h('dt', {}, 'Created'), h('dd', {}, ks.createdAt));
  } catch (error) {
    summary.replaceWith(problemBox(error));
  }
  let continuation = null;
  async function load() {
    try {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (continuation) q.set('continuation', continuation);
      const page = await json(`/v1/keyspaces/${encodeURIComponent(keyspace)}/lists?${q}`);
      for (const list of page.lists) {
        tbody.append(h('tr', { dataset: { list: list.key } },
          h('td', { class: 'key' }, h('a', { href: listsHref({ ks: keyspace, k: list.key }) }, list.key)),
          h('td', { class: 'num' }, String(list.count)), h('td', { class: 'num' }, formatBytes(list.bytes)),
          h('td', { class: 'hide-narrow' }, time(list.lastTimestamp))));
      }
      continuation = page.continuation;
      more.hidden = !continuation;
    } catch (error) {
      more.hidden = true;
      main.append(problemBox(error));
    }
  }
  more.addEventListener('click', () => load());
  load();
}

function itemValue(item) {
  if (item.valueBase64 !== undefined) return `(${formatBytes(Math.floor((item.valueBase64.length * 3) / 4))} of bytes)`;
  const text = String(item.value ?? '');
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

function renderList(main, keyspace, key, cleanup) {
  const path = pathOf(keyspace, key);
  const tbody = h('tbody', {});
  const status = h('p', { id: 'items-status', class: 'muted', 'aria-live': 'polite' });
  const first = h('button', { type: 'button', id: 'items-first', class: 'secondary' }, 'Oldest');
  const earlier = h('button', { type: 'button', id: 'items-earlier', class: 'secondary' }, 'Earlier items');
  const later = h('button', { type: 'button', id: 'items-later', class: 'secondary' }, 'Later items');
  const last = h('button', { type: 'button', id: 'items-last', class: 'secondary' }, 'Newest');
  const follow = h('button', { type: 'button', id: 'follow', 'aria-pressed': 'false' }, 'Follow the tail');
  const meta = h('dl', { class: 'meta', id: 'list-meta' });
  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Keyspace' }, h('a', { href: listsHref() }, '(all keyspaces)'), ' ', h('a', { href: listsHref({ ks: keyspace }) }, keyspace)),
    h('h1', {}, `List ${key}`), meta,
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Pages' }, first, earlier, later, last, follow),
    h('table', { id: 'items' }, h('caption', {}, 'Items, oldest first'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Offset'), h('th', { scope: 'col' }, 'Value'),
        h('th', { scope: 'col', class: 'num hide-narrow' }, 'Nonce'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Time'))),
      tbody),
    status);

  // The continuation of the last page read each way; the other way starts from the edge shown.
  const cursor = { earlier: null, later: null, low: null, high: null, count: 0, nextOffset: 0 };
  let following = null;

  const row = (item) => h('tr', { dataset: { offset: String(item.offset) } },
    h('td', { class: 'num' }, String(item.offset)), h('td', { class: 'key item-value' }, itemValue(item)),
    h('td', { class: 'num hide-narrow' }, item.nonce !== undefined && item.nonce !== null ? String(item.nonce) : ''),
    h('td', { class: 'hide-narrow' }, time(item.timestamp)));

  function show() {
    earlier.disabled = cursor.low === null || !cursor.earlier;
    first.disabled = earlier.disabled;
    later.disabled = !!following || cursor.high === null || cursor.high + 1 >= cursor.nextOffset;
    last.disabled = !!following || later.disabled;
    status.textContent = tbody.children.length
      ? `Offsets ${cursor.low} to ${cursor.high} shown, of ${cursor.count} items.${following ? ' Following the tail: new items appear as they are appended.' : ''}`
      : `No items.${following ? ' Following the tail: new items appear as they are appended.' : ''}`;
  }

  async function read(q) {
    const page = await json(`/v1/lists/${path}?${new URLSearchParams({ limit: String(PAGE), ...q })}`);
    cursor.count = page.stats.count;
    cursor.nextOffset = page.stats.nextOffset;
    return page;
  }

  // Replaces the rows with one page; a backward page is shown oldest first too.
  async function jump(q, backward) {
    try {
      const page = await read(q);
      const items = backward ? [...page.items].reverse() : page.items;
      tbody.replaceChildren(...items.map(row));
      cursor.low = items.length ? items[0].offset : null;
      cursor.high = items.length ? items[items.length - 1].offset : null;
      cursor.earlier = backward ? page.continuation : (cursor.low !== null && cursor.low > page.stats.firstOffset ? 'edge' : null);
      cursor.later = backward ? null : page.continuation;
    } catch (error) {
      tbody.replaceChildren();
      status.replaceWith(problemBox(error));
    }
    show();
  }

  async function loadEarlier() {
    const q = cursor.earlier === 'edge' ? { order: 'backward', startOffset: String(cursor.low - 1) } : { order: 'backward', continuation: cursor.earlier };
    await jump(q, true);
  }

  async function loadLater() {
    await jump(cursor.later ? { continuation: cursor.later } : { startOffset: String(cursor.high + 1) }, false);
  }

  async function describe() {
    try {
      const info = await json(`/v1/keyspaces/${path.replace('/', '/lists/')}`);
      meta.replaceChildren(h('dt', {}, 'Items'), h('dd', { id: 'list-count' }, String(info.count)), h('dt', {}, 'Offsets'), h('dd', {}, info.count ? `${info.firstOffset} to ${info.lastOffset}` : 'none'),
        h('dt', {}, 'Size'), h('dd', {}, formatBytes(info.bytes)), h('dt', {}, 'Last nonce'), h('dd', {}, info.lastNonce ?? 'none'),
        h('dt', {}, 'Items from'), h('dd', {}, `${time(info.firstTimestamp)} to ${time(info.lastTimestamp)}`));
    } catch (error) {
      meta.replaceChildren(h('dt', {}, 'Metadata'), h('dd', {}, error.status === 404 ? 'no such list yet (it reads as empty)' : error.message));
    }
  }

  async function runFollow(controller) {
    const from = cursor.high === null ? cursor.nextOffset : cursor.high + 1;
    const response = await fetch(`/v1/lists/${path}?${new URLSearchParams({ follow: 'true', startOffset: String(from), limit: String(PAGE) })}`, {
      headers: authHeaders({ Accept: 'application/x-ndjson' }), signal: controller.signal, cache: 'no-store',
    });
    if (!response.ok) throw new Problem(response.status, await response.json().catch(() => null), response.headers);
    showLive('live', 'following');
    await readBlocks(response.body, '\n', (block) => {
      const line = block.trim();
      if (!line) return;
      const item = JSON.parse(line);
      if (item.type === 'error') throw new Problem(item.status, item, null);
      if (cursor.high !== null && item.offset <= cursor.high) return;
      const tr = row(item);
      tr.classList.add('changed');
      tbody.append(tr);
      if (cursor.low === null) cursor.low = item.offset;
      cursor.high = item.offset;
      cursor.count += 1;
      cursor.nextOffset = item.offset + 1;
      tr.scrollIntoView({ block: 'nearest' });
      show();
    });
  }

  function stopFollowing() {
    if (!following) return;
    following.abort();
    following = null;
    follow.textContent = 'Follow the tail';
    follow.setAttribute('aria-pressed', 'false');
    showLive('off', 'not live');
    show();
  }

  follow.addEventListener('click', async () => {
    if (following) { stopFollowing(); return; }
    // Following shows the newest items first, then each one appended.
    if (cursor.high !== null && cursor.high + 1 < cursor.nextOffset) await jump({ order: 'backward' }, true);
    const controller = new AbortController();
    following = controller;
    follow.textContent = 'Stop following';
    follow.setAttribute('aria-pressed', 'true');
    showLive('connecting', 'connecting…');
    show();
    runFollow(controller).then(() => {
      if (controller.signal.aborted) return;
      stopFollowing();
      status.textContent += ' The member ended the stream; follow again to go on.';
    }, (error) => {
      if (controller.signal.aborted) return;
      stopFollowing();
      status.textContent = `Following stopped: ${error.message}`;
    });
  });
  first.addEventListener('click', () => jump({}, false));
  earlier.addEventListener('click', () => loadEarlier());
  later.addEventListener('click', () => loadLater());
  last.addEventListener('click', () => jump({ order: 'backward' }, true));
  cleanup.push(() => { if (following) { following.abort(); following = null; showLive('off', 'not live'); } });

  describe();
  jump({ order: 'backward' }, true);
}
