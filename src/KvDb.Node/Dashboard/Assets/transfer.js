// Import and export of a prefix (#/transfer?p=prefix). Export reads the prefix page by page
// (GET /v1/kv, values included), every page at the first page's revision, so the file is one
// consistent state, and offers it as a JSON file: keys, values (text, base64 for binary, typed
// values marked) and revisions. Import reads such a file and puts its keys with POST /v1/txn,
// as one transaction (all or nothing) or in batches of up to 100, and reports what happened.
// Invariants: the server checks every read and write against the user's grant (a key outside
// it is a 403 for its page or batch, shown in the report, never skipped silently); a failed
// batch leaves the batches before it applied and says which keys it held; leases are not
// exported (a lease id means nothing after it expires).
import { json, query } from './api.js';
import { h } from './dom.js';
import { mayReadPrefix, mayWrite } from './access.js';

const PAGE = 1000;
const BATCH = 100;
let downloadUrl = null;

async function exportPrefix(prefix, onProgress) {
  const keys = [];
  let revision = null;
  let continuation = null;
  do {
    const page = await json(`/v1/kv?${query({ prefix, limit: PAGE, continuation, revision })}`);
    revision = revision ?? page.revision;
    for (const item of page.items) {
      const entry = { key: item.key };
      if (item.valueBase64 !== undefined) entry.valueBase64 = item.valueBase64;
      else entry.value = item.value;
      if (item.typed) entry.typed = true;
      entry.revision = item.revision;
      keys.push(entry);
    }
    continuation = page.continuation;
    onProgress(keys.length);
  } while (continuation);
  return { kvdb: 'export', prefix, revision, exportedAt: new Date().toISOString(), keys };
}

/** The txn put of one exported key. */
function putOf(entry) {
  if (typeof entry !== 'object' || entry === null || typeof entry.key !== 'string') throw new Error('an entry without a "key" string');
  if (entry.valueBase64 !== undefined) return { put: { key: entry.key, valueBase64: entry.valueBase64 } };
  if (typeof entry.value !== 'string') throw new Error(`key ${entry.key} has neither "value" nor "valueBase64"`);
  if (entry.typed) return { put: { key: entry.key, typed: JSON.parse(entry.value) } };
  return { put: { key: entry.key, value: entry.value } };
}

async function importKeys(entries, batchSize, report) {
  const puts = entries.map(putOf);
  let imported = 0;
  let failed = 0;
  const failures = [];
  for (let start = 0; start < puts.length; start += batchSize) {
    const batch = puts.slice(start, start + batchSize);
    try {
      await json('/v1/txn', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ then: batch }) });
      imported += batch.length;
    } catch (error) {
      failed += batch.length;
      failures.push(`keys ${start + 1}–${start + batch.length} (${batch[0].put.key} … ${batch[batch.length - 1].put.key}): ${error.status ? `${error.status} ` : ''}${error.message}`);
    }
    report(imported, failed, failures);
  }
}

export function renderTransfer(main, params) {
  const prefix = params.get('p') || '';
  const exportStatus = h('p', { id: 'export-status', role: 'status', 'aria-live': 'polite' });
  const download = h('a', { id: 'export-download', class: 'button', hidden: true }, 'Save the file');
  const exportButton = h('button', { type: 'button', id: 'export', disabled: !mayReadPrefix(prefix), onclick: async () => {
    exportButton.disabled = true;
    download.hidden = true;
    try {
      const file = await exportPrefix(prefix, (n) => { exportStatus.textContent = `Read ${n} keys…`; });
      if (downloadUrl) URL.revokeObjectURL(downloadUrl);
      downloadUrl = URL.createObjectURL(new Blob([JSON.stringify(file, null, 1)], { type: 'application/json' }));
      download.href = downloadUrl;
      download.download = `kvdb-${prefix.replace(/[^A-Za-z0-9._-]+/g, '_') || 'all'}-r${file.revision}.json`;
      download.hidden = false;
      download.dataset.keys = String(file.keys.length);
      exportStatus.textContent = `${file.keys.length} keys under "${prefix}" at revision ${file.revision}.`;
      download.focus();
    } catch (error) {
      exportStatus.textContent = `Export failed: ${error.status ? `${error.status} ` : ''}${error.message}`;
    }
    exportButton.disabled = false;
  } }, 'Export');

  const fileInput = h('input', { type: 'file', id: 'import-file', accept: 'application/json,.json' });
  const mode = h('select', { id: 'import-mode' },
    h('option', { value: 'batches', selected: true }, `in batches of ${BATCH} keys`),
    h('option', { value: 'one' }, 'as one transaction (all or nothing)'));
  const report = h('div', { id: 'import-report', role: 'status', 'aria-live': 'polite' });
  const importButton = h('button', { type: 'submit', id: 'import' }, 'Import');
  const importForm = h('form', { class: 'search', onsubmit: async (e) => {
    e.preventDefault();
    const file = fileInput.files[0];
    if (!file) { report.replaceChildren(h('p', { class: 'alert' }, 'Choose a file first.')); return; }
    let entries;
    try {
      const parsed = JSON.parse(await file.text());
      entries = Array.isArray(parsed) ? parsed : parsed.keys;
      if (!Array.isArray(entries)) throw new Error('no "keys" list');
      entries.forEach(putOf);
    } catch (error) {
      report.replaceChildren(h('p', { class: 'alert', id: 'import-invalid' }, `${file.name} is not a kvdb export: ${error.message}`));
      return;
    }
    const outside = entries.filter((entry) => !mayWrite(entry.key)).length;
    importButton.disabled = true;
    const batchSize = mode.value === 'one' ? Math.max(1, entries.length) : BATCH;
    const show = (imported, failed, failures) => report.replaceChildren(
      h('p', { id: 'import-counts', dataset: { imported: String(imported), failed: String(failed) } },
        `${imported} of ${entries.length} keys imported, ${failed} failed${outside ? ` (${outside} outside what your roles let you write)` : ''}.`),
      failures.length ? h('ul', { id: 'import-failures' }, failures.map((f) => h('li', {}, f))) : '');
    show(0, 0, []);
    await importKeys(entries, batchSize, show);
    importButton.disabled = false;
  } },
  h('label', { for: 'import-file' }, 'Export file', fileInput),
  h('label', { for: 'import-mode' }, 'Write', mode),
  importButton);

  main.replaceChildren(
    h('h1', {}, `Import and export ${prefix ? `"${prefix}"` : 'every key'}`),
    h('p', {}, h('a', { href: `#/keys?${query({ p: prefix })}` }, '← Back to the keys')),
    h('h2', {}, 'Export'),
    h('p', { class: 'muted' }, 'Every key under the prefix with its value (text, base64 for binary, typed values marked) and revision, read at one revision. Leases are not exported.'),
    h('div', { class: 'actions' }, exportButton, download), exportStatus,
    h('h2', {}, 'Import'),
    h('p', { class: 'muted' }, 'Puts every key of an export file (each under its own name, replacing a value that is there). One transaction applies all or nothing; batches apply one after another, and a failed batch is reported with its keys.'),
    importForm, report);
}
