// Leases, locks and elections. Leases come from GET /v1/leases (only the caller's own; root sees
// every lease), each one's time left and attached keys from GET /v1/leases/{id} on demand. Locks
// and elections have no list endpoint of their own: they are queues of keys under _locks/{name}/
// and _elections/{name}/, so their names and queue lengths are a grouped range of those prefixes
// (GET /v1/kv?delimiter=/), which the server filters by the user's grant like any range; each
// one's holder and waiters come from GET /v1/locks/{name}, an election's leader from the first line
// of GET /v1/elections/{name}/observe (200 with no leader, where /v1/elections/{name} answers 404).
import { call, json, query, readBlocks, Problem } from './api.js';
import { h } from './dom.js';
import { grantList, isRoot, mayReadPrefix } from './access.js';

const PAGE = 100;

function problemBox(error, id) {
  return h('div', { class: error instanceof Problem && error.status === 403 ? 'forbidden' : 'alert', id, role: 'alert' }, error.message);
}

const keyLink = (key) => h('a', { href: `#/key?${query({ k: key })}` }, key);

/** #/leases: the caller's leases; a row's *Details* shows its time left and attached keys. */
export async function renderLeases(main) {
  const tbody = h('tbody', {});
  const note = h('p', { class: 'muted', id: 'leases-note' }, isRoot() ? 'Every lease (you are root).' : 'Your own leases: others\' are not shown to you.');
  main.replaceChildren(h('h1', {}, 'Leases'), note, h('table', { id: 'leases' },
    h('caption', {}, 'Leases'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Id'), h('th', { scope: 'col', class: 'num' }, 'TTL (s)'),
      h('th', { scope: 'col' }, 'Owner'), h('th', { scope: 'col' }, 'Details'))),
    tbody));
  let answer;
  try {
    answer = await json('/v1/leases');
  } catch (error) {
    main.append(problemBox(error, 'leases-problem'));
    return;
  }
  for (const lease of answer.leases) {
    const details = h('td', { colspan: '4', class: 'lease-details' });
    const detailsRow = h('tr', { hidden: true }, details);
    const button = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-label': `Details of lease ${lease.id}` }, 'Details');
    button.addEventListener('click', async () => {
      if (!detailsRow.hidden) { detailsRow.hidden = true; button.setAttribute('aria-expanded', 'false'); return; }
      detailsRow.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      details.replaceChildren('Loading…');
      try {
        const info = await json(`/v1/leases/${lease.id}`);
        details.replaceChildren(h('dl', { class: 'meta' },
          h('dt', {}, 'Time left'), h('dd', { class: 'lease-remaining' }, info.remainingSeconds === null || info.remainingSeconds === undefined ? 'unknown here' : `${info.remainingSeconds.toFixed(1)} s of ${info.ttlSeconds} s`),
          h('dt', {}, 'Keys'), h('dd', { class: 'lease-keys' }, info.keys.length ? info.keys.flatMap((k, i) => (i ? [', ', keyLink(k)] : [keyLink(k)])) : 'none you may read')));
      } catch (error) {
        details.replaceChildren(error.status === 404 ? 'This lease no longer exists (revoked or expired).' : error.message);
      }
    });
    tbody.append(h('tr', { dataset: { lease: String(lease.id) } },
      h('td', { class: 'num' }, String(lease.id)), h('td', { class: 'num' }, String(lease.ttlSeconds)),
      h('td', {}, lease.owner ?? '(none)'), h('td', {}, button)), detailsRow);
  }
  if (!answer.leases.length) main.append(h('p', { class: 'muted', id: 'no-leases' }, 'No leases.'));
}

/**
 * The names of the queues under root ("_locks/" or "_elections/") with their lengths. A user
 * who may not read all of root gets the names its grants cover one by one.
 */
async function queues(root) {
  const names = [];
  // Not asked when the grants already say no: the refusal would be logged by the browser as an error.
  if (!mayReadPrefix(root)) return grantedQueues(root);
  try {
    let continuation = null;
    do {
      const page = await json(`/v1/kv?${query({ prefix: root, delimiter: '/', keysOnly: 'true', limit: PAGE, continuation })}`);
      for (const group of page.prefixes || []) names.push({ name: group.prefix.slice(root.length, -1), count: group.count });
      continuation = page.continuation;
    } while (continuation && names.length < 10 * PAGE);
    return { names };
  } catch (error) {
    if (!(error instanceof Problem) || error.status !== 403) throw error;
    return grantedQueues(root);
  }
}

/** The queue names the user's grants name one by one under root, without their lengths. */
function grantedQueues(root) {
  const granted = grantList().filter((g) => g.access.includes('read') && g.prefix.startsWith(root) && g.prefix.length > root.length);
  const own = [...new Set(granted.map((g) => g.prefix.slice(root.length).split('/')[0]))];
  return { names: own.map((name) => ({ name, count: null })), partial: true };
}

function queueView(main, { title, root, id, columns, detail }) {
  const tbody = h('tbody', {});
  main.replaceChildren(h('h1', {}, title),
    h('p', { class: 'muted' }, `Each is a queue of keys under ${root}{name}/, one per contender, attached to its lease; the first key holds.`),
    h('table', { id }, h('caption', {}, title),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'In queue'), columns.map((c) => h('th', { scope: 'col' }, c)))),
      tbody));
  queues(root).then(async ({ names, partial }) => {
    if (partial) main.append(h('p', { class: 'notice', id: `${id}-partial` }, `Your roles do not let you read all of ${root}; shown: the names your grants cover.`));
    if (!names.length) main.append(h('p', { class: 'muted', id: `${id}-none` }, 'None.'));
    const rows = await Promise.all(names.map(async (entry) => {
      let cells;
      try {
        cells = await detail(entry.name);
      } catch (error) {
        cells = [h('td', { colspan: String(columns.length) }, error.status === 404 ? 'none now' : error.message)];
      }
      return h('tr', { dataset: { name: entry.name } }, h('td', { class: 'key' }, entry.name),
        h('td', { class: 'num' }, entry.count === null ? '' : String(entry.count)), cells);
    }));
    tbody.replaceChildren(...rows);
  }, (error) => main.append(problemBox(error, `${id}-problem`)));
}

/** #/locks: every lock with its holder (key, fencing revision, lease) and who waits. */
export function renderLocks(main) {
  queueView(main, {
    title: 'Locks', root: '_locks/', id: 'locks', columns: ['Holder', 'Fencing revision', 'Lease', 'Waiting'],
    detail: async (name) => {
      const info = await json(`/v1/locks/${encodeURIComponent(name)}`);
      return [h('td', { class: 'key holder' }, info.holder ? keyLink(info.holder.key) : 'free'),
        h('td', { class: 'num' }, info.holder ? String(info.holder.revision) : ''),
        h('td', { class: 'num' }, info.holder && info.holder.lease ? String(info.holder.lease) : ''),
        h('td', { class: 'num waiting' }, String(info.waiting.length))];
    },
  });
}

/**
 * An election's leader now, or null when it has no candidate: the first line of
 * GET /v1/elections/{name}/observe, which answers 200 either way ({"leader": null} when none),
 * where GET /v1/elections/{name} answers 404 and the browser would log that as an error. The
 * name may come from a grant rather than from the range (see queues), so it may well be empty.
 */
async function currentLeader(name) {
  const abort = new AbortController();
  const response = await call(`/v1/elections/${encodeURIComponent(name)}/observe`, { signal: abort.signal });
  let first = null;
  try {
    await readBlocks(response.body, '\n', (line) => {
      if (first || !line.trim()) return;
      first = JSON.parse(line);
      abort.abort();
    });
  } catch (error) {
    if (!first) throw error;
  }
  if (!first || first.type === 'error') throw new Error(first ? (first.detail || first.title) : 'The election\'s observation ended without an answer.');
  return first.key === undefined ? null : first;
}

/** #/elections: every election with its leader's key, value, revision and lease. */
export function renderElections(main) {
  queueView(main, {
    title: 'Elections', root: '_elections/', id: 'elections', columns: ['Leader value', 'Leader key', 'Revision', 'Lease'],
    detail: async (name) => {
      const leader = await currentLeader(name);
      if (!leader) return [h('td', { colspan: '4', class: 'no-leader' }, 'no candidate now')];
      return [h('td', { class: 'key leader-value' }, leader.value), h('td', { class: 'key' }, keyLink(leader.key)),
        h('td', { class: 'num' }, String(leader.revision)), h('td', { class: 'num' }, leader.lease ? String(leader.lease) : '')];
    },
  });
}
