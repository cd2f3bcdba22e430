/**
 * What went wrong when connecting to Redis, as one SpiderdError: the login was refused (NOAUTH,
 * WRONGPASS, a password given to a Redis that has none) or Redis is not reachable. The URL in
 * the message has its password redacted.
 */
import { SpiderdError, coerceError } from './errors.js';
import { redactUrl } from './redact.js';

export const REDIS_HINT = 'start it (e.g. `redis-server`, or `docker compose up -d redis`) or point REDIS_URL / --redis-url at yours';

const AUTH_REPLY = /^(NOAUTH|WRONGPASS)\b|^ERR (AUTH|invalid password)|invalid username-password pair/;

export function isRedisAuthError(thrown: unknown): boolean {
  return thrown instanceof Error && AUTH_REPLY.test(thrown.message);
}

export function redisConnectError(thrown: unknown, redisUrl: string, detail = ''): SpiderdError {
  const err = coerceError(thrown);
  const where = `Redis at ${redactUrl(redisUrl)}`;
  if (isRedisAuthError(err)) {
    return new SpiderdError('SPIDERD_REDIS_AUTH_FAILED', `${where}: authentication failed (${err.message.split('.')[0]}); fix the password in REDIS_URL / --redis-url`, { cause: err });
  }
  const reason = err.message || 'connection failed';
  return new SpiderdError('SPIDERD_REDIS_UNAVAILABLE', `${where} is not reachable${detail} (${reason}): ${REDIS_HINT}`, { cause: err, transient: true });
}
