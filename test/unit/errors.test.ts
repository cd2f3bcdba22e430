/**
 * The error codes users see are documented: docs/errors.md has one row per code in
 * ERROR_CODES, mentions no code that does not exist, and src/ uses no SPIDERD_* literal that
 * is neither an error code nor a configuration environment variable.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ENV_NAMES } from '../../src/shared/config.js';
import { ERROR_CODES, SpiderdError, errorCode, wrapError } from '../../src/shared/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
const CODES = new Set<string>(Object.keys(ERROR_CODES));
const ENV_VARS = new Set<string>(Object.values(ENV_NAMES));

/** Codes in the first column of the table: "| `SPIDERD_X` | ...". */
function documentedRows(): string[] {
  return [...DOC.matchAll(/^\|\s*`(SPIDERD_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full === join(ROOT, 'src/shared/db/generated')) continue; // Prisma's generated client
      out.push(...sourceFiles(full));
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

test('docs/errors.md has exactly one row for every code in ERROR_CODES', () => {
  const rows = documentedRows();
  const missing = [...CODES].filter((c) => !rows.includes(c));
  assert.deepEqual(missing, [], `codes without a row in docs/errors.md: ${missing.join(', ')}`);
  const unknown = rows.filter((c) => !CODES.has(c));
  assert.deepEqual(unknown, [], `rows in docs/errors.md for codes not in ERROR_CODES: ${unknown.join(', ')}`);
  const duplicated = rows.filter((c, i) => rows.indexOf(c) !== i);
  assert.deepEqual(duplicated, [], `codes with more than one row: ${duplicated.join(', ')}`);
});

test('every row says whether the error is retried and what to do', () => {
  for (const line of DOC.split('\n').filter((l) => /^\|\s*`SPIDERD_/.test(l))) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, `row must have code | meaning | retried? | what to do: ${line}`);
    assert.match(cells[2]!, /transient|permanent|not a page error/, `retried? column of ${cells[0]}`);
    assert.ok(cells[1]!.length > 0 && cells[3]!.length > 0, `empty cell in ${cells[0]}`);
  }
});

test('every SPIDERD_* name in docs/errors.md is an error code or a configuration variable', () => {
  const names = new Set([...DOC.matchAll(/SPIDERD_[A-Z0-9_]+/g)].map((m) => m[0]));
  const unknown = [...names].filter((n) => !CODES.has(n) && !ENV_VARS.has(n));
  assert.deepEqual(unknown, [], `docs/errors.md mentions names that do not exist: ${unknown.join(', ')}`);
});

test('every SPIDERD_* string literal in src/ is a known error code or environment variable', () => {
  const unknown: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(['"`])(SPIDERD_[A-Z0-9_]+)\1/g)) {
      const name = m[2]!;
      if (!CODES.has(name) && !ENV_VARS.has(name)) unknown.push(`${file.slice(ROOT.length)}: ${name}`);
    }
  }
  assert.deepEqual(unknown, [], `add these to ERROR_CODES (and docs/errors.md) or fix the typo:\n${unknown.join('\n')}`);
});

test('codes are stable strings carried by SpiderdError; anything else reports SPIDERD_INTERNAL', () => {
  for (const code of CODES) assert.match(code, /^SPIDERD_[A-Z0-9_]+$/);
  const cause = new Error('ECONNRESET');
  const wrapped = wrapError('SPIDERD_FETCH_NETWORK', 'fetch failed', cause, { transient: true });
  assert.equal(errorCode(wrapped), 'SPIDERD_FETCH_NETWORK');
  assert.equal(wrapped.transient, true);
  assert.equal(wrapped.cause, cause);
  assert.equal(errorCode(new Error('boom')), 'SPIDERD_INTERNAL');
  assert.equal(new SpiderdError('SPIDERD_NOT_HTML', 'application/pdf').transient, false, 'errors are permanent unless marked transient');
});
