// The cluster view: every member's own /v1/status (read for the page by the answering member,
// /ui/api/cluster), refreshed every two seconds while the view is open. A member's role is what
// that member says of itself; one that does not answer is shown as down, not with old figures.
import { json } from './api.js';
import { h } from './dom.js';

const REFRESH_MS = 2000;

function cells(member, leaderCommit) {
  const s = member.status;
  if (!s) {
    return [h('td', { class: 'role' }, 'unknown'), h('td', { class: 'health' }, `down: ${member.error || 'no answer'}`),
      h('td', { class: 'num' }), h('td', { class: 'num' }), h('td', { class: 'num' }), h('td', { class: 'num' }), h('td', { class: 'hide-narrow' })];
  }
  const lag = leaderCommit === null ? '' : String(Math.max(0, leaderCommit - s.appliedIndex));
  return [
    h('td', { class: 'role' }, s.role === 'leader' ? '★ leader' : s.role),
    h('td', { class: 'health' }, s.ready ? 'ready' : s.readiness),
    h('td', { class: 'num term' }, String(s.term)),
    h('td', { class: 'num' }, String(s.commitIndex)),
    h('td', { class: 'num' }, String(s.appliedIndex)),
    h('td', { class: 'num lag' }, lag),
    h('td', { class: 'hide-narrow' }, s.version),
  ];
}

export function renderCluster(main, params, cleanup) {
  const tbody = h('tbody', {});
  const note = h('p', { class: 'muted', id: 'cluster-note', 'aria-live': 'polite' });
  const table = h('table', { id: 'members' },
    h('caption', {}, 'Members, as each reports itself'),
    h('thead', {}, h('tr', {}, ['Id', 'Address', 'Role', 'Health', 'Term', 'Commit', 'Applied', 'Lag', 'Version']
      .map((name) => h('th', { scope: 'col', class: ['Term', 'Commit', 'Applied', 'Lag'].includes(name) ? 'num' : (name === 'Version' ? 'hide-narrow' : null) }, name)))),
    tbody);
  main.replaceChildren(h('h1', {}, 'Cluster'), table, note);

  let timer = null;
  let stopped = false;
  cleanup.push(() => { stopped = true; clearTimeout(timer); });

  async function refresh() {
    try {
      const cluster = await json('/ui/api/cluster');
      const leader = cluster.members.find((m) => m.status && m.status.role === 'leader');
      const leaderCommit = leader ? leader.status.commitIndex : null;
      tbody.replaceChildren(...cluster.members.sort((a, b) => a.id - b.id).map((m) => h('tr', {
        class: [m.status && m.status.role === 'leader' ? 'leader' : null, m.status ? null : 'down'].filter(Boolean).join(' ') || null,
        dataset: { member: String(m.id) },
      }, h('td', {}, String(m.id)), h('td', { class: 'key' }, m.httpUrl || `${m.peerUrl} (peer)`), ...cells(m, leaderCommit))));
      note.textContent = `Read through member ${cluster.answeredBy} at ${new Date().toLocaleTimeString()}. Lag: entries the leader has committed that the member has not applied.`
        + (leader ? '' : ' No member reports itself leader right now.');
    } catch (error) {
      note.textContent = `Could not read the members: ${error.message}`;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }
  refresh();
}
