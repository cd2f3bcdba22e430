/**
 * Opening PostgreSQL through the Prisma Client, for the commands that query it that way
 * (status, export, requeue, demo). Apart from connect.ts so that `spiderd enqueue`, which uses
 * hand-written SQL, does not load the Prisma Client at all.
 */
import type { Config } from '../shared/config.js';
import { createDb, type Db } from '../shared/db/client.js';
import { SpiderdError } from '../shared/errors.js';
import type { Resources } from '../shared/lifecycle.js';
import { migrateOrExplain } from './connect.js';

/** Applies pending migrations (idempotent), then opens Prisma. */
export async function connectDb(config: Pick<Config, 'databaseUrl'>, resources: Resources): Promise<Db> {
  await migrateOrExplain(config.databaseUrl);
  return resources.add('postgresql', createDb(config, { poolSize: 3 }), (db) => db.$disconnect());
}

/** A crawl by name, or SPIDERD_CRAWL_NOT_FOUND. */
export async function findCrawl(db: Db, name: string) {
  const crawl = await db.crawl.findUnique({ where: { name } });
  if (!crawl) throw new SpiderdError('SPIDERD_CRAWL_NOT_FOUND', `no crawl named ${JSON.stringify(name)} (see \`spiderd status\` for the list)`);
  return crawl;
}
