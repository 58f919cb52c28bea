// Calls to the member's HTTP API with the user's token. The token lives in sessionStorage (this
// tab only, gone when it closes) and travels only in the Authorization header, never in a URL.
const TOKEN = 'kvdb.token';
const USER = 'kvdb.user';

/** A problem-details answer (RFC 7807) as an Error. */
export class Problem extends Error {
  constructor(status, body, headers) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.headers = headers;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  get user() { return sessionStorage.getItem(USER); },
  set(token, user) { sessionStorage.setItem(TOKEN, token); sessionStorage.setItem(USER, user); },
  clear() { sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(USER); },
};

/** Listeners told when a call answers 401 (the token expired or was revoked). */
export const onUnauthorized = new Set();

export function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  return headers;
}

/** fetch with the token; throws Problem for an answer that is not 2xx or 304. */
export async function call(path, { method = 'GET', headers = {}, body, signal } = {}) {
  const response = await fetch(path, { method, headers: authHeaders(headers), body, signal, cache: 'no-store' });
  if (response.ok || response.status === 304) return response;
  let problem = null;
  try { problem = await response.json(); } catch { /* not JSON */ }
  if (response.status === 401) for (const listener of onUnauthorized) listener();
  throw new Problem(response.status, problem, response.headers);
}

export async function json(path, options) {
  return (await call(path, options)).json();
}

/** The path of one key under /v1/kv: the key percent-encoded whole ("/" as %2F is the same key). */
export function keyPath(key) {
  return `/v1/kv/${encodeURIComponent(key)}`;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') q.set(name, value);
  return q.toString();
}

export async function login(name, password) {
  const response = await fetch('/v1/auth/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }), cache: 'no-store',
  });
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) throw new Problem(response.status, body, response.headers);
  session.set(body.token, name);
}

export async function authEnabled() {
  const status = await json('/v1/auth/status');
  return !!status.enabled;
}

/**
 * Reads a streamed answer's body as text blocks ended by separator ("\n" for NDJSON, "\n\n" for
 * Server-Sent Events), calling onBlock for each one as it arrives, until the stream ends.
 */
export async function readBlocks(body, separator, onBlock) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf(separator)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + separator.length);
      onBlock(block);
    }
  }
}

/** Bytes of a base64 string. */
export function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
