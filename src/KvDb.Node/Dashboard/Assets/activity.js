// The activity view: each member's key-value reads and writes over the last minutes, from the
// member's own /v1/activity (read for the page by the answering member: /ui/api/activity), as two
// inline SVG charts per member (operations per second; p50 and p99 latency) and a table of the
// same figures as text. Refreshed every 5 s while the view is open.
// Invariants: only finished intervals are drawn (the running one would read as a drop); an
// interval without operations of a kind has no latency point (a gap, not a zero); a member that
// does not answer is shown as such, never with old figures.
import { json } from './api.js';
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 5000;
const WIDTH = 560;
const HEIGHT = 180;
const PAD = { left: 52, right: 10, top: 10, bottom: 24 };

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  for (const child of children.flat()) if (child !== undefined && child !== null) element.append(child instanceof Node ? child : String(child));
  return element;
}

/** A round upper bound of the axis for max. */
function niceMax(max, floor) {
  const value = Math.max(max, floor);
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function formatNumber(value) {
  if (value === null || value === undefined) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatMs(value) {
  return value >= 1000 ? `${formatNumber(value / 1000)} s` : `${formatNumber(value)} ms`;
}

/**
 * An inline SVG line chart of series (each { name, cls, values }) over intervals, with a legend.
 * A linear axis from 0, or (log) a decade axis, so a slow outlier does not flatten the rest.
 */
function chart({ cls, title, log, series, starts }) {
  const all = series.flatMap((line) => line.values.filter((v) => v !== null && v > 0));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  let ticks;
  let scale;
  if (log) {
    const low = Math.floor(Math.log10(all.length ? Math.max(0.01, Math.min(...all)) : 0.1));
    const high = Math.max(low + 1, Math.ceil(Math.log10(all.length ? Math.max(...all) : 1)));
    ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
    scale = (v) => (Math.log10(Math.max(v, 10 ** low)) - low) / (high - low);
  } else {
    const top = niceMax(all.length ? Math.max(...all) : 0, 1);
    ticks = [0, top / 2, top];
    scale = (v) => v / top;
  }
  const format = log ? formatMs : formatNumber;
  const x = (i) => PAD.left + (starts.length <= 1 ? plotWidth : (i * plotWidth) / (starts.length - 1));
  const y = (v) => PAD.top + plotHeight - scale(v) * plotHeight;
  const titleId = `${cls}-${Math.random().toString(36).slice(2)}`;
  const svg = s('svg', { class: `chart ${cls}`, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': titleId },
    s('title', { id: titleId }, title));
  for (const value of ticks) {
    svg.append(s('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      s('text', { class: 'axis', x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, format(value)));
  }
  if (starts.length) {
    const label = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    svg.append(s('text', { class: 'axis', x: PAD.left, y: HEIGHT - 6, 'text-anchor': 'start' }, label(starts[0])),
      s('text', { class: 'axis', x: WIDTH - PAD.right, y: HEIGHT - 6, 'text-anchor': 'end' }, label(starts[starts.length - 1])));
  }
  for (const line of series) {
    // One polyline per run of intervals that have a value; a lone point is a dot.
    let run = [];
    const flush = () => {
      if (run.length === 1) svg.append(s('circle', { class: `series ${line.cls}`, cx: run[0][0], cy: run[0][1], r: 2.5 }));
      else if (run.length > 1) svg.append(s('polyline', { class: `series ${line.cls}`, points: run.map((p) => p.join(',')).join(' ') }));
      run = [];
    };
    line.values.forEach((v, i) => { if (v === null) flush(); else run.push([x(i).toFixed(1), y(v).toFixed(1)]); });
    flush();
  }
  const legend = h('p', { class: 'legend' }, series.map((line) => h('span', { class: `key-${line.cls}` }, line.name)));
  return h('figure', { class: 'chart-box' }, svg, h('figcaption', {}, title), legend);
}

function latest(intervals, field) {
  for (let i = intervals.length - 1; i >= 0; i--) if (intervals[i][field] !== null) return intervals[i][field];
  return null;
}

function memberSection(member) {
  const heading = h('h2', {}, `Member ${member.id}`, h('span', { class: 'muted' }, ` ${member.httpUrl}`));
  if (!member.activity) {
    return { section: h('section', { class: 'activity-member down', dataset: { member: String(member.id) } }, heading,
      h('p', { class: 'forbidden' }, `No figures: ${member.error || 'no answer'}`)), row: null };
  }
  const seconds = member.activity.intervalSeconds;
  const done = member.activity.intervals.slice(0, -1); // the last interval is still running
  const starts = done.map((i) => i.start);
  const rate = (field) => done.map((i) => i[field] / seconds);
  const ops = chart({
    cls: 'chart-ops', title: `Member ${member.id}: operations per second`, log: false, starts,
    series: [{ name: 'reads/s', cls: 'reads', values: rate('reads') }, { name: 'writes/s', cls: 'writes', values: rate('writes') }],
  });
  const latency = chart({
    cls: 'chart-latency', title: `Member ${member.id}: latency (log scale)`, log: true, starts,
    series: [
      { name: 'read p50', cls: 'read-p50', values: done.map((i) => i.readP50Ms) },
      { name: 'read p99', cls: 'read-p99', values: done.map((i) => i.readP99Ms) },
      { name: 'write p50', cls: 'write-p50', values: done.map((i) => i.writeP50Ms) },
      { name: 'write p99', cls: 'write-p99', values: done.map((i) => i.writeP99Ms) },
    ],
  });
  const lastMinute = done.slice(-Math.round(60 / seconds));
  const perSecond = (field) => lastMinute.reduce((sum, i) => sum + i[field], 0) / (Math.max(1, lastMinute.length) * seconds);
  const total = (field) => done.reduce((sum, i) => sum + i[field], 0);
  const row = h('tr', { dataset: { member: String(member.id), reads: String(total('reads')), writes: String(total('writes')) } },
    h('td', {}, String(member.id)),
    h('td', { class: 'num reads-rate' }, formatNumber(perSecond('reads'))),
    h('td', { class: 'num writes-rate' }, formatNumber(perSecond('writes'))),
    ...['readP50Ms', 'readP99Ms', 'writeP50Ms', 'writeP99Ms'].map((field) => h('td', { class: 'num' }, formatNumber(latest(done, field)))));
  return { section: h('section', { class: 'activity-member', dataset: { member: String(member.id) } }, heading, h('div', { class: 'charts' }, ops, latency)), row };
}

export function renderActivity(main, params, cleanup) {
  const minutes = ['1', '5', '10'].includes(params.get('minutes')) ? params.get('minutes') : '5';
  const windowSelect = h('select', { id: 'activity-minutes', onchange: () => { location.hash = `#/activity?minutes=${windowSelect.value}`; } },
    ['1', '5', '10'].map((m) => h('option', { value: m, selected: m === minutes }, `last ${m} min`)));
  const tbody = h('tbody', {});
  const table = h('table', { id: 'activity-summary' },
    h('caption', {}, 'Operations per second over the last minute, and the latest interval\'s latency in ms'),
    h('thead', {}, h('tr', {}, ['Member', 'Reads/s', 'Writes/s', 'Read p50', 'Read p99', 'Write p50', 'Write p99']
      .map((name) => h('th', { scope: 'col', class: name === 'Member' ? null : 'num' }, name)))),
    tbody);
  const charts = h('div', { id: 'activity' });
  const note = h('p', { class: 'muted', id: 'activity-note', 'aria-live': 'polite' });
  main.replaceChildren(h('h1', {}, 'Activity'),
    h('form', { class: 'search', onsubmit: (e) => e.preventDefault() }, h('label', { for: 'activity-minutes' }, 'Window', windowSelect)),
    table, charts, note);

  let timer = null;
  let stopped = false;
  cleanup.push(() => { stopped = true; clearTimeout(timer); });

  async function refresh() {
    try {
      const overview = await json(`/ui/api/activity?minutes=${minutes}`);
      const parts = overview.members.sort((a, b) => a.id - b.id).map(memberSection);
      if (stopped) return;
      tbody.replaceChildren(...parts.map((p) => p.row).filter(Boolean));
      charts.replaceChildren(...parts.map((p) => p.section));
      note.textContent = `Each member's key-value reads (GET of keys, ranges, list items) and writes (puts, deletes, transactions, appends) as it served them, per ${overview.members.find((m) => m.activity)?.activity.intervalSeconds ?? 5} s interval; read through member ${overview.answeredBy} at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      note.textContent = `Could not read the activity: ${error.message}`;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }
  refresh();
}
