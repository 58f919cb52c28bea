// The cluster view: every member's own /v1/status (read for the page by the answering member,
// /ui/api/cluster), refreshed every two seconds while the view is open. A member's role is what
// that member says of itself; one that does not answer is shown as down, not with old figures.
// Root (and everyone while auth is off, as the API allows) may add a member (POST /v1/members)
// and remove one (DELETE /v1/members/{id}) after confirming in the page; the API's answer, a
// refusal's problem details included, is shown as it came. Others see no controls, and the API
// refuses them anyway.
// Rows are updated in place, never rebuilt, so a focused Remove… button keeps its focus across
// refreshes.
import { call, json, Problem } from './api.js';
import { h } from './dom.js';
import { isRoot } from './access.js';

const REFRESH_MS = 2000;
// Columns a window narrower than 640 pixels does without (the lag says what they would).
const NARROW_HIDDEN = ['Commit', 'Applied', 'Version'];

function cells(member, leaderCommit) {
  const s = member.status;
  if (!s) {
    return [h('td', { class: 'role' }, 'unknown'), h('td', { class: 'health' }, `down: ${member.error || 'no answer'}`),
      h('td', { class: 'num' }), h('td', { class: 'num hide-narrow' }), h('td', { class: 'num hide-narrow' }), h('td', { class: 'num' }), h('td', { class: 'hide-narrow' })];
  }
  const lag = leaderCommit === null ? '' : String(Math.max(0, leaderCommit - s.appliedIndex));
  return [
    h('td', { class: 'role' }, s.role === 'leader' ? '★ leader' : s.role),
    h('td', { class: 'health' }, s.ready ? 'ready' : s.readiness),
    h('td', { class: 'num term' }, String(s.term)),
    h('td', { class: 'num hide-narrow' }, String(s.commitIndex)),
    h('td', { class: 'num hide-narrow' }, String(s.appliedIndex)),
    h('td', { class: 'num lag' }, lag),
    h('td', { class: 'hide-narrow' }, s.version),
  ];
}

/** A refusal as the API put it: "Title (status): detail". */
export function problemText(error) {
  if (!(error instanceof Problem)) return error.message;
  const title = error.body.title || `HTTP ${error.status}`;
  return `${title} (${error.status})${error.body.detail ? `: ${error.body.detail}` : ''}`;
}

export function renderCluster(main, params, cleanup) {
  const root = isRoot();
  const tbody = h('tbody', {});
  const note = h('p', { class: 'muted', id: 'cluster-note', 'aria-live': 'polite' });
  const columns = ['Id', 'Address', 'Role', 'Health', 'Term', 'Commit', 'Applied', 'Lag', 'Version', ...(root ? ['Change'] : [])];
  const table = h('table', { id: 'members' },
    h('caption', {}, 'Members, as each reports itself'),
    h('thead', {}, h('tr', {}, columns
      .map((name) => h('th', { scope: 'col', class: [['Term', 'Commit', 'Applied', 'Lag'].includes(name) ? 'num' : null, NARROW_HIDDEN.includes(name) ? 'hide-narrow' : null].filter(Boolean).join(' ') || null }, name)))),
    tbody);
  const outcome = h('p', { id: 'member-outcome', class: 'notice', role: 'status', hidden: true });
  const problem = h('div', { id: 'member-problem', class: 'alert', role: 'alert', hidden: true });
  const say = (text) => { problem.hidden = true; outcome.textContent = text; outcome.hidden = false; };
  const refuse = (what, error) => { outcome.hidden = true; problem.textContent = `${what}: ${problemText(error)}`; problem.hidden = false; };

  let timer = null;
  let stopped = false;
  let answeredBy = null;
  const rows = new Map();
  cleanup.push(() => { stopped = true; clearTimeout(timer); });

  const confirmBox = root ? removeConfirmation() : null;
  main.replaceChildren(h('h1', {}, 'Cluster'), table, note, outcome, problem, ...(root ? [confirmBox.element, addForm()] : []));

  function removeConfirmation() {
    const title = h('h2', { id: 'remove-title' });
    const text = h('p', { id: 'remove-text' });
    const confirm = h('button', { type: 'button', class: 'danger', id: 'remove-confirm' });
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'remove-cancel' }, 'Cancel');
    const element = h('section', { class: 'conflict', id: 'remove-box', role: 'alertdialog', 'aria-labelledby': 'remove-title', 'aria-describedby': 'remove-text', hidden: true },
      title, text, h('div', { class: 'actions' }, confirm, cancel));
    let opener = null;
    let memberId = null;
    const close = () => {
      element.hidden = true;
      if (opener && opener.isConnected) opener.focus(); else main.focus();
    };
    cancel.addEventListener('click', close);
    element.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      cancel.disabled = true;
      try {
        await call(`/v1/members/${memberId}`, { method: 'DELETE' });
        say(`Member ${memberId} was removed: it leaves the Raft configuration and its process exits once the leader has told it.`);
      } catch (error) {
        refuse(`Member ${memberId} was not removed`, error);
      } finally {
        confirm.disabled = false;
        cancel.disabled = false;
        close();
        refreshSoon();
      }
    });
    return {
      element,
      open(member, button) {
        opener = button;
        memberId = member.id;
        const leader = member.status && member.status.role === 'leader';
        title.textContent = `Remove member ${member.id}?`;
        text.textContent = `Member ${member.id} (${member.httpUrl || member.peerUrl}) leaves the cluster: the leader takes it out of the Raft`
          + ' configuration and its process exits. To add it back later, start it with --join and an empty data directory.'
          + (leader ? ' It is the leader now: the others elect a new one.' : '')
          + (member.id === answeredBy ? ` This page is served by member ${member.id}: open the dashboard on another member afterwards.` : '');
        confirm.textContent = `Remove member ${member.id}`;
        outcome.hidden = true;
        problem.hidden = true;
        element.hidden = false;
        cancel.focus();
      },
    };
  }

  function addForm() {
    const id = h('input', { id: 'add-id', name: 'id', type: 'number', min: '1', step: '1', inputmode: 'numeric', required: true, size: 6 });
    const peer = h('input', { id: 'add-peer', name: 'peerUrl', type: 'url', required: true, autocomplete: 'off', placeholder: 'http://host:port', size: 28 });
    const add = h('button', { type: 'submit', id: 'add-member' }, 'Add member');
    const form = h('form', { class: 'search', id: 'add-form', 'aria-labelledby': 'add-title', onsubmit: async (e) => {
      e.preventDefault();
      add.disabled = true;
      const memberId = Number(id.value);
      try {
        const response = await call('/v1/members', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: memberId, peerUrl: peer.value }),
        });
        say(response.status === 202
          ? `Member ${memberId} is recorded: start it with --id ${memberId} --join (its --cluster listing ${peer.value}); the leader adds it once it runs.`
          : `Member ${memberId} was added.`);
        id.value = '';
        peer.value = '';
      } catch (error) {
        refuse(`Member ${memberId} was not added`, error);
      } finally {
        add.disabled = false;
        refreshSoon();
      }
    } },
    h('label', { for: 'add-id' }, 'Member id', id),
    h('label', { for: 'add-peer' }, 'Peer URL (its Raft address)', peer),
    add);
    return h('section', { id: 'add-section' }, h('h2', { id: 'add-title' }, 'Add a member'),
      h('p', { class: 'muted' }, 'Announce the member here, then start it with --join (or start it first: it waits until it is added).'), form);
  }

  function rowOf(member) {
    let row = rows.get(member.id);
    if (!row) {
      const action = root
        ? h('td', {}, h('button', { type: 'button', class: 'secondary remove', 'aria-label': `Remove member ${member.id}`,
          onclick: (e) => confirmBox.open(rows.get(member.id).member, e.currentTarget) }, 'Remove…'))
        : null;
      row = { tr: h('tr', { dataset: { member: String(member.id) } }, action), action };
      rows.set(member.id, row);
    }
    row.member = member;
    return row;
  }

  function show(members, leaderCommit) {
    const ids = new Set(members.map((m) => m.id));
    for (const [id, row] of rows) if (!ids.has(id)) { row.tr.remove(); rows.delete(id); }
    members.forEach((m, index) => {
      const { tr, action } = rowOf(m);
      const state = [m.status && m.status.role === 'leader' ? 'leader' : null, m.status ? null : 'down'].filter(Boolean).join(' ');
      if (state) tr.className = state; else tr.removeAttribute('class');
      for (const cell of [...tr.children]) if (cell !== action) cell.remove();
      const shown = [h('td', {}, String(m.id)), h('td', { class: 'key' }, m.httpUrl || `${m.peerUrl} (peer)`), ...cells(m, leaderCommit)];
      if (action) action.before(...shown); else tr.append(...shown);
      // Only a new row is ever moved into place: existing rows keep their order (by id).
      if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] || null);
    });
  }

  let inFlight = false;
  let again = false;
  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    clearTimeout(timer);
    try {
      const cluster = await json('/ui/api/cluster');
      if (stopped) return;
      answeredBy = cluster.answeredBy;
      const leader = cluster.members.find((m) => m.status && m.status.role === 'leader');
      show(cluster.members.sort((a, b) => a.id - b.id), leader ? leader.status.commitIndex : null);
      note.textContent = `Read through member ${cluster.answeredBy} at ${new Date().toLocaleTimeString()}. Lag: entries the leader has committed that the member has not applied.`
        + (leader ? '' : ' No member reports itself leader right now.');
    } catch (error) {
      note.textContent = `Could not read the members: ${error.message}`;
    } finally {
      inFlight = false;
    }
    if (stopped) return;
    timer = setTimeout(refresh, again ? 0 : REFRESH_MS);
    again = false;
  }

  function refreshSoon() {
    if (!stopped) refresh();
  }

  refresh();
}
