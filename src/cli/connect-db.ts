/**
 * Opening PostgreSQL through the Prisma Client, for the commands that query it that way
 * (status, export, requeue, demo). Apart from connect.ts so that `spiderd enqueue`, which uses
 * hand-written SQL, does not load the Prisma Client at all.
 */
import type { Config } from '../shared/config.js';
import { createDb, type Db } from '../shared/db/client.js';
import { SpiderdError } from '../shared/errors.js';
import type { Resources } from '../shared/lifecycle.js';
import { checkDatabase } from '../shared/db/check-database.js';
import { migrateOrExplain } from './connect.js';

/**
 * Opens Prisma on a database that is there and migrated (SPIDERD_DB_MISSING / _NOT_MIGRATED
 * otherwise); with `migrate` (the demo), creates and migrates it first.
 */
export async function connectDb(config: Pick<Config, 'databaseUrl'>, resources: Resources, options: { migrate?: boolean } = {}): Promise<Db> {
  if (options.migrate) await migrateOrExplain(config.databaseUrl);
  else await checkDatabase(config.databaseUrl);
  return resources.add('postgresql', createDb(config, { poolSize: 3 }), (db) => db.$disconnect());
}

/** A crawl by name, or SPIDERD_CRAWL_NOT_FOUND. */
export async function findCrawl(db: Db, name: string) {
  const crawl = await db.crawl.findUnique({ where: { name } });
  if (!crawl) throw new SpiderdError('SPIDERD_CRAWL_NOT_FOUND', `no crawl named ${JSON.stringify(name)} (see \`spiderd status\` for the list)`);
  return crawl;
}
