// Follows a prefix or a key with GET /v1/watch as Server-Sent Events, read through fetch (an
// EventSource cannot send the Authorization header). On a dropped connection it reconnects
// after the last revision it saw (an event's or a progress mark's), so nothing is missed or
// repeated; when the history no longer reaches back that far (410, "compacted") the view reloads.
import { authHeaders, query, readBlocks } from './api.js';

const badge = () => document.getElementById('live');

export function showLive(state, text) {
  const element = badge();
  element.dataset.state = state;
  element.textContent = text;
}

export class Watch {
  /**
   * @param {{prefix?: string, key?: string, after: number, onEvent: Function, onReset: Function}} options
   */
  constructor(options) {
    this.options = options;
    this.revision = options.after;
    this.controller = new AbortController();
    this.stopped = false;
  }

  start() {
    this.run().catch(() => { /* stopped */ });
    return this;
  }

  stop() {
    this.stopped = true;
    this.controller.abort();
    showLive('off', 'not live');
  }

  async run() {
    let delay = 500;
    while (!this.stopped) {
      showLive('connecting', 'connecting…');
      try {
        // Built by hand: "prefix=" with nothing after it (every key) must stay in the query.
        const params = new URLSearchParams(query({ after: this.revision, prev: 'true', progress: '5s' }));
        if (this.options.key !== undefined) params.set('key', this.options.key);
        else params.set('prefix', this.options.prefix);
        const response = await fetch(`/v1/watch?${params}`, {
          headers: authHeaders({ Accept: 'text/event-stream' }), signal: this.controller.signal, cache: 'no-store',
        });
        if (response.status === 410) { this.end('history compacted, reloaded'); this.options.onReset(); return; }
        if (!response.ok) { this.end(response.status === 403 ? 'not live: no read access' : `not live (${response.status})`); return; }
        await this.read(response.body);
        if (this.stopped) return;
      } catch (e) {
        if (this.stopped) return;
      }
      showLive('reconnecting', 'reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }

  end(text) {
    this.stopped = true;
    showLive('off', text);
  }

  async read(body) {
    await readBlocks(body, '\n\n', (block) => {
      const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
      if (data) this.dispatch(JSON.parse(data));
    });
  }

  dispatch(event) {
    switch (event.type) {
      case 'progress':
        this.revision = Math.max(this.revision, event.revision);
        showLive('live', 'live');
        break;
      case 'put':
      case 'delete':
        this.revision = Math.max(this.revision, event.revision);
        showLive('live', 'live');
        this.options.onEvent(event);
        break;
      case 'compacted':
        this.end('history compacted, reloaded');
        this.options.onReset();
        break;
      case 'error':
        this.end(`not live: ${event.detail || event.title}`);
        break;
      default:
        break;
    }
  }
}
