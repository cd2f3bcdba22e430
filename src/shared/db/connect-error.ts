/**
 * What went wrong when connecting to PostgreSQL, as one SpiderdError that says which failure it
 * is: the database is missing (3D000), the role is missing (28000 "role ... does not exist"),
 * the login was refused (28P01, other 28000), or the server is not reachable (anything else:
 * ECONNREFUSED, DNS, timeout). The URL in the message has its password redacted.
 */
import { SpiderdError, coerceError } from '../errors.js';
import { redactUrl } from '../redact.js';

export const POSTGRES_HINT =
  'start it (e.g. `pg_ctlcluster 15 main start`, or `docker compose up -d postgres`) or point DATABASE_URL / --database-url at yours';

export function postgresConnectError(thrown: unknown, databaseUrl: string): SpiderdError {
  if (thrown instanceof SpiderdError) return thrown;
  const err = coerceError(thrown);
  const code = (thrown as { code?: unknown }).code;
  const where = `PostgreSQL at ${redactUrl(databaseUrl)}`;
  const { database, user } = namesIn(databaseUrl);
  switch (code) {
    case '3D000':
      return new SpiderdError('SPIDERD_DB_MISSING', `${where}: database "${database}" does not exist; create it with \`spiderd migrate\` (or start the daemon, which creates and migrates it)`, {
        cause: err,
      });
    case '28P01':
      return new SpiderdError('SPIDERD_DB_AUTH_FAILED', `${where}: authentication failed for user "${user}" (${err.message}); fix the user and password in DATABASE_URL`, { cause: err });
    case '28000':
      if (/role .* does not exist/.test(err.message)) {
        return new SpiderdError('SPIDERD_DB_ROLE_MISSING', `${where}: role "${user}" does not exist; create it (\`createuser ${user}\`) or fix the user in DATABASE_URL`, { cause: err });
      }
      return new SpiderdError('SPIDERD_DB_AUTH_FAILED', `${where}: the login was refused (${err.message}); fix DATABASE_URL or the server's pg_hba.conf`, { cause: err });
    default:
      return new SpiderdError('SPIDERD_DB_UNAVAILABLE', `${where} is not reachable (${err.message || String(code ?? 'connection failed')}): ${POSTGRES_HINT}`, {
        cause: err,
        transient: true,
      });
  }
}

function namesIn(databaseUrl: string): { database: string; user: string } {
  try {
    const url = new URL(databaseUrl);
    return { database: decodeURIComponent(url.pathname.slice(1)), user: decodeURIComponent(url.username) || '(the OS user)' };
  } catch {
    return { database: '?', user: '?' };
  }
}
