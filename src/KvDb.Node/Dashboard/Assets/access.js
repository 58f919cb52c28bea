// What the signed-in user's roles grant, from /ui/api/session, so the UI offers only what the
// server will allow. The server checks every call again; this only avoids dead buttons.
let grants = [{ prefix: '', access: 'readwrite' }];
let root = true;
let user = null;

export function setSession(value) {
  grants = value.grants;
  root = value.root;
  user = value.user;
}

export const who = () => user;
export const isRoot = () => root;
export const grantList = () => grants;

function allows(access, key, range) {
  return root || grants.some((grant) => grant.access.includes(access) && key.startsWith(grant.prefix)
    && (!range || grant.prefix.length <= key.length));
}

/** Whether every key under prefix may be read. */
export const mayReadPrefix = (prefix) => allows('read', prefix, true);
export const mayRead = (key) => allows('read', key, false);
export const mayWrite = (key) => allows('write', key, false);
