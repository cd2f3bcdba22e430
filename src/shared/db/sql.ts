/**
 * Hand-written SQL through Prisma's PostgreSQL driver adapter (@prisma/adapter-pg), without the
 * Prisma Client's query compiler: a crawler process's hot path (frontier inserts, page rows,
 * guard lookups, crawl loads) is raw SQL anyway, and the compiler costs each process about 60 MB
 * of wasm and ~0.4 ms of CPU per statement. `spiderd enqueue` uses only this too (it starts in
 * half the time); the other client commands use the Prisma Client (client.ts); a crawler
 * process only this, its rare leak reports included. Errors are the adapter's
 * (DriverAdapterError with a `kind`), which db-errors.ts classifies like the client's.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { clearLogs as forgetAdapterDebugArgs } from '@prisma/debug';
import type { ArgType, SqlDriverAdapter, SqlQueryable } from '@prisma/driver-adapter-utils';
import type { Config } from '../config.js';

/** What SQL-running code needs: PostgreSQL positional parameters ($1, $2, ...). */
export interface SqlRunner {
  query<T>(text: string, args?: unknown[]): Promise<T[]>;
  execute(text: string, args?: unknown[]): Promise<number>;
}

export interface Sql extends SqlRunner {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Values pass to pg as they are (pg turns JS arrays into PostgreSQL arrays itself).
const AS_IS: ArgType = { scalarType: 'unknown', arity: 'scalar' };

/**
 * The adapter passes every statement, its parameters included, to @prisma/debug, which keeps the
 * arguments of its last 100 calls even with debugging off (for Prisma's error reports). A
 * crawler's page-row batches are 40-100 KB of JSON each, so that history held 4.5-8.5 MB of a
 * 40 MB heap, moving with the batches' sizes: the leak sentinel read it as growth and as noise
 * (docs/leak-sentinel.md). It is emptied after each statement, failed ones too, and a failure
 * gets PostgreSQL's own message back (readable).
 */
function settled<T>(statement: Promise<T>): Promise<T> {
  return statement.then(
    (result) => {
      forgetAdapterDebugArgs();
      return result;
    },
    (thrown: unknown) => {
      forgetAdapterDebugArgs();
      return readable(thrown);
    },
  );
}

function runner(q: SqlQueryable): SqlRunner {
  return {
    async query<T>(text: string, args: unknown[] = []): Promise<T[]> {
      const r = await settled(q.queryRaw({ sql: text, args, argTypes: args.map(() => AS_IS) }));
      return r.rows.map((row) => Object.fromEntries(r.columnNames.map((name, i) => [name, row[i]])) as T);
    },
    execute(text: string, args: unknown[] = []): Promise<number> {
      return settled(q.executeRaw({ sql: text, args, argTypes: args.map(() => AS_IS) }));
    },
  };
}

/**
 * The adapter reports a PostgreSQL error as its kind alone ("ValueOutOfRange"); this puts
 * PostgreSQL's own message and SQLSTATE back on it (the adapter's payload stays the cause).
 */
function readable(thrown: unknown): never {
  const payload = (thrown as { name?: unknown; cause?: unknown }).cause as Record<string, unknown> | undefined;
  if ((thrown as { name?: unknown }).name !== 'DriverAdapterError' || typeof payload !== 'object' || payload === null) throw thrown;
  const detail = [payload.originalMessage, payload.message, payload.cause, payload.reason].find((x) => typeof x === 'string');
  const err = new Error(`${String(payload.kind)}${detail ? `: ${String(detail)}` : ''}`, { cause: thrown }) as Error & { code?: unknown };
  if (typeof payload.originalCode === 'string') err.code = payload.originalCode;
  throw err;
}

/** A json or jsonb column as read here: the adapter may hand it over as its text. */
export function jsonColumn(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

export function createSql(config: Pick<Config, 'databaseUrl'>, options: { max?: number } = {}): Sql {
  let adapter: Promise<SqlDriverAdapter> | null = null;
  const connect = () => (adapter ??= new PrismaPg({ connectionString: config.databaseUrl, max: options.max ?? 4 }).connect());
  return {
    query: async (text, args) => runner(await connect()).query(text, args),
    execute: async (text, args) => runner(await connect()).execute(text, args),
    async transaction(fn) {
      const tx = await (await connect()).startTransaction();
      const run = runner(tx);
      try {
        const out = await fn(run);
        await run.execute('COMMIT');
        await tx.commit();
        return out;
      } catch (err) {
        await run.execute('ROLLBACK').catch(() => undefined);
        await tx.rollback().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      if (adapter) await (await adapter).dispose();
      adapter = null;
    },
  };
}
