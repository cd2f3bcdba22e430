/**
 * Removes secrets from URLs and from any text that embeds them (error messages, causes, log
 * fields) before they are logged or printed: the password of a URL's userinfo, and the value
 * of every query or key=value parameter whose name says it is a secret (password, pass, pwd,
 * sslpassword, secret, token, api_key, key, auth, signature, credential, ...). Works on text,
 * so it also covers connection strings inside a driver's error message and libpq's
 * "password=... host=..." form.
 */
import { pino } from 'pino';

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

/**
 * A copy of a JSON-like value (a log record, an error) with every secret removed; depth-limited.
 * Strings go through redactText; a string under a secret-looking key is censored whole. Errors
 * become plain objects (serializeError) and are redacted like the rest, so fields that drivers
 * hang on their errors are covered too: ioredis's `command: { name, args }` (AUTH carries the
 * password in args; every args list is censored, the name kept), pg's connection fields.
 * A URL object is written as its redacted href.
 */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[too deep]';
  if (value instanceof URL) return redactText(value.href);
  if (value instanceof Error) return redactDeep(serializeError(value), depth + 1);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null && !isErrorLike(value)) return value; // Buffers, Dates, class instances stay as they are
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (typeof v === 'string' && isSecretName(k)) out[k] = CENSOR;
    else if (k === 'args' && Array.isArray(v) && typeof record['name'] === 'string') out[k] = v.map(() => CENSOR);
    else out[k] = redactDeep(v, depth + 1);
  }
  return out;
}

/** An Error as a plain object, as pino serializes it: type, message and stack with their causes, every own enumerable field (code, details, a driver's extras). */
export function serializeError(err: Error): Record<string, unknown> {
  return { ...pino.stdSerializers.err(err) };
}

/** pino's serialized errors have their own prototype; they are records all the same. */
function isErrorLike(value: object): boolean {
  return typeof (value as { message?: unknown }).message === 'string' && typeof (value as { stack?: unknown }).stack === 'string';
}
