/**
 * For the commands that only read or add to an existing database (status, export, enqueue,
 * requeue, mem): connects once and checks that the database is there and migrated, without
 * creating or migrating anything (only start, migrate and demo do that). Fails with the
 * connection's own code (connect-error.ts) or SPIDERD_DB_NOT_MIGRATED.
 */
import pg from 'pg';
import { SpiderdError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { postgresConnectError } from './connect-error.js';
import { pendingMigrations } from './migrate.js';

export async function checkDatabase(databaseUrl: string, timeoutMs = 10_000): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw postgresConnectError(err, databaseUrl);
  }
  try {
    const pending = await pendingMigrations(client);
    if (pending.length > 0) {
      throw new SpiderdError(
        'SPIDERD_DB_NOT_MIGRATED',
        `PostgreSQL at ${redactUrl(databaseUrl)}: ${pending.length} migration${pending.length === 1 ? ' is' : 's are'} not applied (first: ${pending[0]}); run \`spiderd migrate\` (or start the daemon)`,
      );
    }
  } catch (err) {
    throw postgresConnectError(err, databaseUrl);
  } finally {
    await client.end().catch(() => undefined);
  }
}
