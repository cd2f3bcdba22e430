/** The Prisma client on PostgreSQL through the pg driver adapter (no native engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';
import type { Config } from '../config.js';

export type Db = PrismaClient;
export { Prisma, PageState } from './generated/client.js';

export function createDb(config: Pick<Config, 'databaseUrl'>, options: { poolSize?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: config.databaseUrl, max: options.poolSize ?? 5 });
  return new PrismaClient({ adapter });
}
