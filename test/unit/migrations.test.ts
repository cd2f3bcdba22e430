/**
 * Migration drift: the database that prisma/migrations builds must be the one
 * prisma/schema.prisma describes. Prisma's schema engine (`migrate diff`) cannot be downloaded
 * everywhere, so the schema is read with Prisma's own parser (@prisma/prisma-schema-wasm,
 * get_dmmf, pinned to the CLI's engine version) and compared with PostgreSQL's catalog of a
 * fresh database migrated by src/shared/db/migrate.ts: tables, columns, types, nullability,
 * defaults, enums, primary keys, indexes and foreign keys, with Prisma's naming conventions.
 * Adding a field to schema.prisma without a migration fails this test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const require = createRequire(import.meta.url);
const schemaWasm = require('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };
const SCHEMA = readFileSync(new URL('../../../prisma/schema.prisma', import.meta.url), 'utf8');

interface DmmfField {
  name: string; dbName?: string | null; kind: 'scalar' | 'enum' | 'object' | 'unsupported'; type: string;
  isList: boolean; isRequired: boolean; isUpdatedAt: boolean; default?: unknown; nativeType?: [string, string[]] | null;
  relationFromFields?: string[]; relationToFields?: string[]; relationOnDelete?: string; relationOnUpdate?: string;
}
interface DmmfModel { name: string; dbName: string | null; fields: DmmfField[]; primaryKey: { name: string | null; fields: string[] } | null }
interface DmmfIndex { model: string; type: 'id' | 'unique' | 'normal' | 'fulltext'; dbName?: string | null; fields: { name: string }[] }
interface Dmmf { datamodel: { models: DmmfModel[]; enums: { name: string; dbName: string | null; values: { name: string; dbName: string | null }[] }[]; indexes: DmmfIndex[] } }

/** One line per fact ("column pages.url text NOT NULL"), so a drift shows as a readable diff. */
export function expectedFacts(schemaText: string): string[] {
  const dmmf = JSON.parse(schemaWasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schemaText]] }))) as Dmmf;
  const { models, enums, indexes } = dmmf.datamodel;
  const facts: string[] = [];
  const enumDb = new Map(enums.map((e) => [e.name, e.dbName ?? e.name]));
  const table = (m: DmmfModel) => m.dbName ?? m.name;
  const model = (name: string) => models.find((m) => m.name === name)!;
  const column = (m: DmmfModel, fieldName: string) => {
    const f = m.fields.find((x) => x.name === fieldName)!;
    return f.dbName ?? f.name;
  };
  for (const e of enums) facts.push(`enum "${e.dbName ?? e.name}" (${e.values.map((v) => v.dbName ?? v.name).join(', ')})`);
  for (const m of models) {
    facts.push(`table ${table(m)}`);
    for (const f of m.fields) {
      if (f.kind === 'object') continue;
      const base = f.kind === 'enum' ? `"${enumDb.get(f.type)}"` : sqlType(f);
      const type = f.isList ? `${base}[]` : base;
      // Prisma creates scalar-list columns without NOT NULL.
      const notNull = f.isRequired && !f.isList ? ' NOT NULL' : '';
      facts.push(`column ${table(m)}.${f.dbName ?? f.name} ${type}${notNull} default ${sqlDefault(f, table(m), enumDb)}`);
    }
    for (const f of m.fields.filter((x) => x.kind === 'object' && (x.relationFromFields?.length ?? 0) > 0)) {
      const target = model(f.type);
      const from = f.relationFromFields!.map((n) => column(m, n));
      const to = f.relationToFields!.map((n) => column(target, n));
      const onDelete = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
      const onUpdate = f.relationOnUpdate ?? 'Cascade';
      facts.push(`fk ${table(m)}_${from.join('_')}_fkey ${table(m)}(${from.join(', ')}) -> ${table(target)}(${to.join(', ')}) delete ${onDelete} update ${onUpdate}`);
    }
  }
  for (const idx of indexes) {
    const m = model(idx.model);
    const cols = idx.fields.map((f) => column(m, f.name));
    const suffix = { id: 'pkey', unique: 'key', normal: 'idx', fulltext: 'idx' }[idx.type];
    const name = idx.dbName ?? (idx.type === 'id' ? `${table(m)}_pkey` : `${table(m)}_${cols.join('_')}_${suffix}`);
    const kind = idx.type === 'id' ? 'primary key' : idx.type === 'unique' ? 'unique index' : 'index';
    facts.push(`${kind} ${name} on ${table(m)}(${cols.join(', ')})`);
  }
  return facts.sort();
}

function sqlType(f: DmmfField): string {
  if (f.nativeType) {
    const [name, args] = f.nativeType;
    const native: Record<string, string> = { Text: 'text', Uuid: 'uuid', VarChar: `character varying(${args[0]})`, Char: `character(${args[0]})`, Timestamptz: `timestamp(${args[0] ?? 3}) with time zone`, Timestamp: `timestamp(${args[0] ?? 3}) without time zone`, SmallInt: 'smallint', Integer: 'integer', BigInt: 'bigint', DoublePrecision: 'double precision', Real: 'real', JsonB: 'jsonb', Json: 'json', Date: 'date' };
    if (native[name] === undefined) throw new Error(`drift test: native type @db.${name} is not mapped yet; add it to sqlType()`);
    return native[name]!;
  }
  const scalar: Record<string, string> = { String: 'text', Int: 'integer', BigInt: 'bigint', Boolean: 'boolean', DateTime: 'timestamp(3) without time zone', Json: 'jsonb', Float: 'double precision', Decimal: 'numeric(65,30)', Bytes: 'bytea' };
  if (scalar[f.type] === undefined) throw new Error(`drift test: Prisma type ${f.type} is not mapped yet; add it to sqlType()`);
  return scalar[f.type]!;
}

function sqlDefault(f: DmmfField, table: string, enumDb: Map<string, string>): string {
  const d = f.default;
  if (d === undefined || d === null) return 'none';
  if (typeof d === 'object' && !Array.isArray(d)) {
    const fn = d as { name: string; args: unknown[] };
    if (fn.name === 'autoincrement') return `nextval('${table}_${f.dbName ?? f.name}_seq'::regclass)`;
    if (fn.name === 'now') return 'CURRENT_TIMESTAMP';
    if (fn.name === 'dbgenerated') return String(fn.args[0]);
    if (['uuid', 'cuid', 'nanoid', 'ulid'].includes(fn.name)) return 'none'; // generated by the client, not the database
    throw new Error(`drift test: default ${fn.name}() is not mapped yet; add it to sqlDefault()`);
  }
  if (f.isList) throw new Error('drift test: scalar-list defaults are not mapped yet; add them to sqlDefault()');
  if (f.kind === 'enum') return `'${String(d)}'::"${enumDb.get(f.type)}"`;
  if (typeof d === 'string') return `'${d.replace(/'/g, "''")}'::text`;
  return String(d);
}

/** The same facts, read from PostgreSQL's catalog (schema public, minus _prisma_migrations). */
async function actualFacts(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query<{ fact: string }>(sql)).rows.map((r) => r.fact);
    const facts = [
      ...(await q(`SELECT format('enum %s (%s)', format_type(t.oid, NULL), string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)) AS fact
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' GROUP BY t.oid`)),
      ...(await q(`SELECT 'table ' || c.relname AS fact FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'`)),
      ...(await q(`SELECT format('column %s.%s %s%s default %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
          CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, coalesce(pg_get_expr(d.adbin, d.adrelid), 'none')) AS fact
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations' AND a.attnum > 0 AND NOT a.attisdropped`)),
      ...(await q(`SELECT format('%s %s on %s(%s)', CASE WHEN x.indisprimary THEN 'primary key' WHEN x.indisunique THEN 'unique index' ELSE 'index' END,
          i.relname, c.relname, (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)) AS fact
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations'`)),
      ...(await q(`SELECT format('fk %s %s(%s) -> %s(%s) delete %s update %s', k.conname, c.relname,
          (SELECT string_agg(a.attname, ', ' ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
          r.relname,
          (SELECT string_agg(a.attname, ', ' ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum),
          ${action('k.confdeltype')}, ${action('k.confupdtype')}) AS fact
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND k.contype = 'f'`)),
    ];
    return facts.sort();
  } finally {
    await client.end();
  }
}

function action(column: string): string {
  return `CASE ${column} WHEN 'a' THEN 'NoAction' WHEN 'r' THEN 'Restrict' WHEN 'c' THEN 'Cascade' WHEN 'n' THEN 'SetNull' WHEN 'd' THEN 'SetDefault' END`;
}

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase(); // a clone of a database built by migrate() from prisma/migrations
});
after(async () => {
  await db.drop();
});

test('the database built from prisma/migrations is exactly what prisma/schema.prisma describes', async () => {
  const expected = expectedFacts(SCHEMA);
  const actual = await actualFacts(db.url);
  const missing = expected.filter((f) => !actual.includes(f));
  const extra = actual.filter((f) => !expected.includes(f));
  assert.deepEqual(
    { inSchemaButNotInMigrations: missing, inMigrationsButNotInSchema: extra },
    { inSchemaButNotInMigrations: [], inMigrationsButNotInSchema: [] },
    'prisma/schema.prisma and prisma/migrations disagree: write a migration for the change',
  );
  assert.ok(expected.some((f) => f.startsWith('column pages.url text NOT NULL')), 'the comparison covers the pages table');
});

test('a field added to schema.prisma without a migration is reported as drift', async () => {
  const changed = SCHEMA.replace(/(model Page \{\n)/, '$1  language String? @map("lang")\n').replace(/(@@index\(\[crawlId, state, id\]\))/, '$1\n  @@index([crawlId, depth])');
  assert.notEqual(changed, SCHEMA);
  const actual = await actualFacts(db.url);
  const missing = expectedFacts(changed).filter((f) => !actual.includes(f));
  assert.deepEqual(missing, ['column pages.lang text default none', 'index pages_crawl_id_depth_idx on pages(crawl_id, depth)']);
});
