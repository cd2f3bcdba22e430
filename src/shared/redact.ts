/**
 * Removes secrets from URLs and from any text that embeds them (error messages, causes, log
 * fields) before they are logged or printed: the password of a URL's userinfo, and the value
 * of every query or key=value parameter whose name says it is a secret (password, pass, pwd,
 * sslpassword, secret, token, api_key, key, auth, signature, credential, ...). Works on text,
 * so it also covers connection strings inside a driver's error message and libpq's
 * "password=... host=..." form.
 */
const CENSOR = '***';

/** Parameter names whose values are secrets: these exactly, or any name containing one of SECRET_PARTS. */
const SECRET_NAMES = new Set(['pass', 'auth', 'key', 'sig', 'authorization', 'privatekey', 'sessionid', 'session']);
const SECRET_PARTS = ['password', 'passwd', 'pwd', 'secret', 'token', 'apikey', 'signature', 'credential', 'accesskey'];

export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_.]/g, '');
  return SECRET_NAMES.has(n) || SECRET_PARTS.some((part) => n.includes(part));
}

/** scheme://userinfo@host...: the userinfo ends at the last "@" before the first "/", "?", "#" or "\" (as WHATWG URL reads it). */
const URL_START = /\b[a-z][a-z0-9+.-]*:\/\//gi;
/** name=value where value runs to the next separator; the name is tested with isSecretName. */
const PARAM = /(^|[?&;\s,("'])([A-Za-z0-9_.-]+)=("[^"]*"|'[^']*'|[^&;\s,)"']*)/g;

export function redactText(text: string): string {
  if (!text.includes('=') && !text.includes('://')) return text;
  return redactParams(redactUserinfo(text));
}

/** A URL (or any text) with its secrets replaced by "***". */
export function redactUrl(raw: string): string {
  return redactText(raw);
}

function redactUserinfo(text: string): string {
  let out = '';
  let from = 0;
  for (const m of text.matchAll(URL_START)) {
    const start = m.index + m[0].length;
    if (start < from) continue;
    const rest = text.slice(start);
    const tokenEnd = rest.search(/[\s"'<>]/);
    const token = tokenEnd === -1 ? rest : rest.slice(0, tokenEnd);
    const authorityEnd = token.search(/[/?#\\]/);
    const authority = authorityEnd === -1 ? token : token.slice(0, authorityEnd);
    const at = authority.lastIndexOf('@');
    const colon = at === -1 ? -1 : authority.slice(0, at).indexOf(':');
    if (colon === -1) continue;
    out += `${text.slice(from, start + colon + 1)}${CENSOR}`;
    from = start + at;
  }
  return out + text.slice(from);
}

function redactParams(text: string): string {
  return text.replace(PARAM, (whole, before: string, name: string) => (isSecretName(name) ? `${before}${name}=${CENSOR}` : whole));
}

/** A copy of a JSON-like value (a serialized error, a log record) with every string redacted; depth-limited. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 8 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // Buffers, Dates, class instances stay as they are
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' && isSecretName(k) ? CENSOR : redactDeep(v, depth + 1);
  return out;
}
