// A key's past: its recent changes (GET /v1/history/{key}, newest first, paged with `before`)
// and its value right after a revision R (GET /v1/kv/{key}?revision=R). Both come from the
// member's change history (--watch-history): a revision older than it is a 410, shown as a
// message that says how far back the history reaches, never as a broken page.
import { call, json, keyPath, Problem } from './api.js';
import { h, formatBytes } from './dom.js';

const PAGE = 20;
const SHOWN_CHARS = 120;

/** The path of a key's history: the key as the rest of the path, each segment encoded. */
const historyPath = (key) => `/v1/history/${key.split('/').map(encodeURIComponent).join('/')}`;

function compactedText(error, revision) {
  const compact = error.body.compactRevision;
  return `Revision ${revision} is older than the change history this member keeps (--watch-history): `
    + `the oldest revision it can read is ${compact}.`;
}

/** A short text of a change's value for the history table. */
function changeValue(change) {
  if (change.operation === 'delete') return { type: '', text: '' };
  if (change.valueBase64 !== undefined) return { type: 'binary', text: `${formatBytes(Math.floor((change.valueBase64.length * 3) / 4))} of bytes` };
  const text = change.typed ? JSON.stringify(change.value) : String(change.value ?? '');
  return { type: change.typed ? 'typed JSON' : 'text', text: text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text };
}

/**
 * The key's recent changes, newest first, with *Older changes* paging on; each revision links
 * to the key as it was right after it.
 * @param {string} key
 * @param {(revision: number) => string} atHref the link to the key at a revision
 */
export function historySection(key, atHref) {
  const tbody = h('tbody', {});
  const table = h('table', { id: 'history' },
    h('caption', {}, 'Recent changes, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'num' }, 'Revision'), h('th', { scope: 'col' }, 'Change'), h('th', { scope: 'col' }, 'Type'),
      h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col', class: 'num hide-narrow' }, 'Lease'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Time (leader)'))),
    tbody);
  const status = h('p', { id: 'history-status', class: 'muted', 'aria-live': 'polite' });
  const older = h('button', { type: 'button', id: 'history-older', class: 'secondary', hidden: true }, 'Older changes');
  const revisionInput = h('input', { id: 'at-revision', name: 'revision', type: 'number', min: '0', inputmode: 'numeric', required: true, size: 10 });
  const atForm = h('form', { class: 'search', id: 'at-form', onsubmit: (e) => {
    e.preventDefault();
    location.hash = atHref(Number(revisionInput.value));
  } },
  h('label', { for: 'at-revision' }, 'View the key at revision', revisionInput),
  h('button', { type: 'submit', id: 'at-button', class: 'secondary' }, 'View'));
  const section = h('section', { 'aria-labelledby': 'history-heading' },
    h('h2', { id: 'history-heading' }, 'History'), atForm, table, older, status);

  let before = null;
  let shown = 0;

  async function load() {
    older.disabled = true;
    try {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (before !== null) q.set('before', String(before));
      const page = await json(`${historyPath(key)}?${q}`);
      for (const change of page.items) {
        const value = changeValue(change);
        tbody.append(h('tr', { dataset: { revision: String(change.revision) } },
          h('td', { class: 'num' }, h('a', { href: atHref(change.revision), 'aria-label': `The key at revision ${change.revision}` }, String(change.revision))),
          h('td', { class: 'operation' }, change.operation),
          h('td', {}, value.type),
          h('td', { class: 'key history-value' }, value.text),
          h('td', { class: 'num hide-narrow' }, change.lease ? String(change.lease) : ''),
          h('td', { class: 'hide-narrow' }, new Date(change.timestamp).toISOString().replace('T', ' ').replace('Z', ' UTC'))));
      }
      shown += page.items.length;
      before = page.before;
      older.hidden = before === null;
      status.textContent = `${shown} changes shown. `
        + (before === null ? `The history keeps the changes after revision ${page.compactRevision}; no older change of this key is kept.` : 'Older changes are kept.');
    } catch (error) {
      older.hidden = true;
      status.textContent = error instanceof Problem && error.status === 410 ? compactedText(error, before) : `The history could not be read: ${error.message}`;
      status.classList.add('alert');
    } finally {
      older.disabled = false;
    }
  }

  older.addEventListener('click', () => load());
  load();
  return section;
}

/**
 * The key as it was right after revision R: { entry } (entry null when the key did not exist
 * then) or { message } when the member cannot answer (410: older than the history; 400).
 */
export async function readAt(key, revision) {
  let response;
  try {
    response = await call(`${keyPath(key)}?revision=${encodeURIComponent(revision)}`);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (error.status === 404) return { entry: null };
    if (error.status === 410) return { message: compactedText(error, revision) };
    if (error.status === 400) return { message: `Revision ${revision} cannot be read here: ${error.message}` };
    throw error;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const typed = (response.headers.get('Content-Type') || '').startsWith('application/json');
  let value;
  let binary = false;
  try { value = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { binary = true; }
  const written = Number((response.headers.get('ETag') || '').replaceAll('"', '').replace(/^W\//, ''));
  return { entry: { key, bytes, binary, typed, value, revision: written } };
}
