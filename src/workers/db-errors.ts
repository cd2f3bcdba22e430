/**
 * Which PostgreSQL failures are blips worth retrying (connection lost or refused, pool or
 * transaction-start timeouts, serialization failures and deadlocks, server restarting)
 * as opposed to bugs or bad data. Prisma wraps driver errors, so the whole cause chain is checked.
 */
import { SpiderdError, coerceError } from '../shared/errors.js';

const TRANSIENT_CODES = new Set([
  // Prisma: can't reach server, timeouts, connection closed, pool timeout, tx API, write conflict, too many connections
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034', 'P2037',
  // Node sockets
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  // PostgreSQL SQLSTATE: connection exceptions, serialization failure, deadlock, shutdown, too many connections
  '08000', '08001', '08003', '08004', '08006', '40001', '40P01', '57P01', '57P02', '57P03', '53300',
]);
const TRANSIENT_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionWriteConflict']);
const TRANSIENT_MESSAGE = /connection (terminated|refused|closed|reset)|terminating connection|server closed the connection|timeout exceeded when trying to connect|Unable to start a transaction in the given time|ECONNREFUSED|ECONNRESET/i;

export function isTransientDbError(thrown: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [thrown];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const rec = e as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: unknown };
    if (typeof rec.code === 'string' && TRANSIENT_CODES.has(rec.code)) return true;
    if (typeof rec.kind === 'string' && TRANSIENT_KINDS.has(rec.kind)) return true;
    if (typeof rec.message === 'string' && TRANSIENT_MESSAGE.test(rec.message)) return true;
    queue.push(rec.cause, rec.meta);
    if (typeof rec.meta === 'object' && rec.meta !== null) queue.push(...Object.values(rec.meta));
  }
  return false;
}

/** A database failure as a SpiderdError: SPIDERD_DB_UNAVAILABLE (transient) for blips, else SPIDERD_INTERNAL. */
export function dbError(what: string, thrown: unknown): SpiderdError {
  if (thrown instanceof SpiderdError) return thrown;
  const cause = coerceError(thrown);
  return isTransientDbError(thrown)
    ? new SpiderdError('SPIDERD_DB_UNAVAILABLE', `${what}: ${cause.message}`, { cause, transient: true })
    : new SpiderdError('SPIDERD_INTERNAL', `${what}: ${cause.message}`, { cause });
}
