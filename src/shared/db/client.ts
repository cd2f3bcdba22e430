/** The Prisma client on PostgreSQL through the pg driver adapter (no native engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from './generated/client.js';
import type { Sql, SqlRunner } from './sql.js';
import type { Config } from '../config.js';

export type Db = PrismaClient;
export { Prisma, PageState } from './generated/client.js';

export function createDb(config: Pick<Config, 'databaseUrl'>, options: { poolSize?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: config.databaseUrl, max: options.poolSize ?? 5 });
  return new PrismaClient({ adapter });
}

/** Hand-written SQL ($1, $2, ...) through a Prisma Client or one of its transactions. */
export function prismaRunner(tx: Prisma.TransactionClient | PrismaClient): SqlRunner {
  return {
    query: <T>(text: string, args: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...args),
    execute: (text: string, args: unknown[] = []) => tx.$executeRawUnsafe(text, ...args),
  };
}

/** Sql-style transactions on a Prisma Client, for code written against Sql (add-seeds.ts). */
export function prismaTransactions(db: PrismaClient): Pick<Sql, 'transaction'> {
  return { transaction: (fn) => db.$transaction((tx) => fn(prismaRunner(tx)), { timeout: 120_000, maxWait: 10_000 }) };
}
