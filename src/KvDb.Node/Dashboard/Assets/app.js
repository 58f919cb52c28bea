// The dashboard's entry: signs in when auth is on, learns what the user may do, and routes
// #/keys, #/key, #/new, #/lists, #/leases, #/locks, #/elections, #/cluster, #/activity, #/transfer and #/login to
// their views. Each view registers what to stop
// (watches, timers) when the user leaves it.
import { authEnabled, json, login, session, onUnauthorized } from './api.js';
import { h, alertText } from './dom.js';
import { setSession, who } from './access.js';
import { renderKeys, renderKey, renderNew } from './keys.js';
import { renderCluster } from './cluster.js';
import { renderActivity } from './activity.js';
import { renderTransfer } from './transfer.js';
import { renderLists } from './lists.js';
import { renderLeases, renderLocks, renderElections } from './coordination.js';
import { showLive } from './live.js';

const main = document.getElementById('main');
let cleanup = [];
let needsLogin = false;

function stopView() {
  for (const stop of cleanup) stop();
  cleanup = [];
}

function renderLogin(message) {
  stopView();
  showLive('off', 'not live');
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const outcome = h('p', { id: 'login-error', class: 'alert', role: 'alert', hidden: !message }, message || '');
  const form = h('form', { class: 'login', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await login(name.value, password.value);
      await start();
    } catch (error) {
      outcome.hidden = false;
      outcome.textContent = error.status === 401 || error.status === 400 ? 'Wrong name or password.' : error.message;
    }
  } },
  h('label', { for: 'login-name' }, 'User name', name),
  h('label', { for: 'login-password' }, 'Password', password),
  h('button', { type: 'submit', id: 'login-button' }, 'Log in'));
  main.replaceChildren(h('h1', {}, 'Log in to kvdb'), h('p', { class: 'muted' }, 'Auth is on: the dashboard shows what your roles grant.'), outcome, form);
  name.focus();
}

function route() {
  stopView();
  alertText('');
  if (needsLogin) { renderLogin(); return; }
  const hash = location.hash || '#/keys';
  const [path, search] = hash.slice(1).split('?');
  const params = new URLSearchParams(search || '');
  for (const link of document.querySelectorAll('.top nav a')) {
    link.toggleAttribute('aria-current', link.getAttribute('href') === `#${path}` || ((path.startsWith('/key') || path === '/transfer') && link.id === 'nav-keys'));
    if (link.hasAttribute('aria-current')) link.setAttribute('aria-current', 'page');
  }
  switch (path) {
    case '/cluster': renderCluster(main, params, cleanup); break;
    case '/activity': renderActivity(main, params, cleanup); break;
    case '/transfer': renderTransfer(main, params); break;
    case '/lists': renderLists(main, params, cleanup); break;
    case '/leases': renderLeases(main); break;
    case '/locks': renderLocks(main); break;
    case '/elections': renderElections(main); break;
    case '/key': renderKey(main, params, cleanup); break;
    case '/new': renderNew(main, params, cleanup); break;
    default: renderKeys(main, params, cleanup); break;
  }
}

async function start() {
  try {
    const enabled = await authEnabled();
    if (enabled && !session.token) {
      needsLogin = true;
      renderLogin();
      return;
    }
    setSession(await json('/ui/api/session'));
  } catch (error) {
    if (error.status === 401) return; // onUnauthorized shows the login page
    alertText(`The member did not answer: ${error.message}`);
    return;
  }
  needsLogin = false;
  const logout = document.getElementById('logout');
  document.getElementById('who').textContent = who() ? `Signed in as ${who()}` : 'Auth is off';
  logout.hidden = !who();
  route();
}

onUnauthorized.add(() => {
  session.clear();
  needsLogin = true;
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  renderLogin('Your session has ended (the token expired or was revoked); log in again.');
});

document.getElementById('logout').addEventListener('click', () => {
  session.clear();
  needsLogin = true;
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  renderLogin('Logged out.');
});

document.getElementById('member').textContent = location.host;
window.addEventListener('hashchange', route);
start();
