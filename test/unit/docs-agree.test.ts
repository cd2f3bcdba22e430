/**
 * The documents agree with the code. Every `--flag` named in README.md or docs/*.md exists in
 * the `spiderd` CLI (or is one of the Node, npm, Docker or bench-script flags listed here);
 * every SPIDERD_* name is a setting or an error code; docs/configuration.md has a row, with the
 * code's default, for every setting and for every flag of every command. The flags come from
 * the commander program the CLI builds, the settings and their defaults from
 * src/shared/config.ts, so a flag or setting added to the code without its row fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Command, type Option } from 'commander';
import { registerCliCommands } from '../../src/cli/commands.js';
import { registerDaemonCommands } from '../../src/daemon/commands.js';
import { ENV_NAMES, FLAG_NAMES, loadConfig, type ConfigKey } from '../../src/shared/config.js';
import { crawlOptionsSchema } from '../../src/shared/crawl-options.js';
import { parseDuration, type DurationUnit } from '../../src/shared/duration.js';
import { ERROR_CODES } from '../../src/shared/errors.js';
import { VERSION } from '../../src/shared/version.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Flags the documents may name that belong to other programs, not to `spiderd`. */
const FOREIGN_FLAGS: Record<string, string> = {
  '--max-old-space-size': 'node',
  '--heapsnapshot-near-heap-limit': 'node',
  '--max-semi-space-size': 'node (V8)',
  '--stress-incremental-marking': 'node (V8)',
  '--trace-gc': 'node (V8)',
  '--trace-gc-verbose': 'node (V8)',
  '--trace-deopt': 'node (V8)',
  '--cpu-prof': 'node',
  '--cluster': 'redis-cli',
  '--no-audit': 'npm',
  '--no-fund': 'npm',
  '--omit': 'npm',
  '--scale': 'docker compose',
  '--rm': 'docker compose',
};

/** Defaults that depend on the machine, as the documents write them, and how the code's default must look. */
const MACHINE_DEFAULTS: Record<string, (code: unknown) => boolean> = {
  '<hostname>-<pid>': (v) => typeof v === 'string' && v.endsWith(`-${process.pid}`),
  'one per CPU': (v) => v === os.availableParallelism(),
  '<tmpdir>/spiderd-snapshots': (v) => v === path.join(os.tmpdir(), 'spiderd-snapshots'),
  'spiderd/<version>': (v) => v === `spiderd/${VERSION}`,
};
/** How the documents write "no default": unset, off, or a value the user must give. */
const NO_DEFAULT = new Set(['-', 'none', 'off', 'false', 'required']);

/** True when a documented default (the text of its cell) means the code's default. */
function agrees(doc: string, code: unknown, durationUnit: DurationUnit | null): boolean {
  const machine = MACHINE_DEFAULTS[doc];
  if (machine) return machine(code);
  if (code === undefined || code === null || code === false || (Array.isArray(code) && code.length === 0)) return NO_DEFAULT.has(doc);
  if (code === true) return doc === 'true' || doc === 'on';
  if (durationUnit !== null) {
    const documented = parseDuration(doc, durationUnit);
    const actual = typeof code === 'number' ? code : parseDuration(String(code), durationUnit);
    return documented !== undefined && documented === actual;
  }
  if (typeof code === 'number' || /^\d+(\.\d+)?$/.test(String(code))) return /^\d+(\.\d+)?$/.test(doc) && Number(doc) === Number(code);
  return doc === String(code);
}

// ---- the code's side ----------------------------------------------------------------------

interface CommandInfo {
  /** e.g. "start", "heap snapshot" */
  path: string;
  options: Option[];
}

async function commands(): Promise<CommandInfo[]> {
  const program = new Command('spiderd');
  registerDaemonCommands(program);
  await registerCliCommands(program);
  const out: CommandInfo[] = [];
  const walk = (cmd: Command, prefix: string[]) => {
    for (const sub of cmd.commands) {
      const names = [...prefix, sub.name()];
      out.push({ path: names.join(' '), options: sub.options.filter((o) => !o.hidden) });
      walk(sub, names);
    }
  };
  walk(program, []);
  return out;
}

const KEY_OF_FLAG = new Map<string, ConfigKey>(Object.entries(FLAG_NAMES).map(([key, flag]) => [flag, key as ConfigKey]));
const KEY_OF_ENV = new Map<string, ConfigKey>(Object.entries(ENV_NAMES).map(([key, env]) => [env, key as ConfigKey]));
const CODE_DEFAULTS = loadConfig({}, {}) as Record<ConfigKey, unknown>;
const CRAWL_DEFAULTS = crawlOptionsSchema.parse({}) as Record<string, unknown>;

/** The setting a command's option sets, when it is one of the settings of config.ts (its help names the variable). */
function settingOf(option: Option): ConfigKey | undefined {
  const key = option.long === undefined ? undefined : KEY_OF_FLAG.get(option.long);
  return key !== undefined && option.description.includes(ENV_NAMES[key]) ? key : undefined;
}

const camel = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A command option's default: commander's, or for `enqueue` the stored crawl option's. */
function optionDefault(cmd: CommandInfo, option: Option): { value: unknown; unit: DurationUnit | null } {
  const unit = unitOfPlaceholder(option.flags);
  if (option.defaultValue !== undefined || cmd.path !== 'enqueue' || option.negate) return { value: option.defaultValue, unit };
  const key = camel(option.long ?? '');
  if (key in CRAWL_DEFAULTS) return { value: CRAWL_DEFAULTS[key], unit };
  if (`${key}Ms` in CRAWL_DEFAULTS) return { value: CRAWL_DEFAULTS[`${key}Ms`], unit: 'ms' };
  return { value: undefined, unit };
}

function unitOfPlaceholder(flags: string): DurationUnit | null {
  if (/<ms>/.test(flags)) return 'ms';
  if (/<(seconds|duration)>/.test(flags)) return 's';
  return null;
}

// ---- the documents' side ------------------------------------------------------------------

interface Table {
  file: string;
  /** The nearest heading above the table. */
  heading: string;
  header: string[];
  rows: Array<{ line: number; cells: string[] }>;
}

const splitRow = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());

function tablesOf(file: string): Table[] {
  const lines = read(file).split('\n');
  const tables: Table[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#+\s/.test(line)) heading = line.replace(/^#+\s*/, '');
    if (!line.startsWith('|') || !/^\|\s*:?-{3,}/.test(lines[i + 1] ?? '')) continue;
    const table: Table = { file, heading, header: splitRow(line), rows: [] };
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) table.rows.push({ line: i + 1, cells: splitRow(lines[i]!) });
    tables.push(table);
  }
  return tables;
}

/** The first `code span` of a cell, or the cell's text when it has none. */
const cellValue = (cell: string) => /`([^`]+)`/.exec(cell)?.[1] ?? cell.trim();
/** The flag a cell names (`--grace <seconds>` gives --grace), or undefined for "-". */
const cellFlag = (cell: string) => /`(--[a-z][a-z0-9-]*)/.exec(cell)?.[1];
const cellEnv = (cell: string) => /`([A-Z][A-Z0-9_]*)`/.exec(cell)?.[1];

interface SettingRow {
  where: string;
  flag: string | undefined;
  env: string | undefined;
  defaultText: string;
}

/** Rows of every table with Flag, Environment variable and Default columns. */
function settingRows(files: readonly string[]): SettingRow[] {
  const rows: SettingRow[] = [];
  for (const file of files) {
    for (const t of tablesOf(file)) {
      const [flagCol, envCol, defCol] = ['Flag', 'Environment variable', 'Default'].map((h) => t.header.indexOf(h));
      if (flagCol! < 0 || envCol! < 0 || defCol! < 0) continue;
      for (const r of t.rows) rows.push({ where: `${file}:${r.line}`, flag: cellFlag(r.cells[flagCol!] ?? ''), env: cellEnv(r.cells[envCol!] ?? ''), defaultText: cellValue(r.cells[defCol!] ?? '') });
    }
  }
  return rows;
}

/** docs/configuration.md's per-command tables: a heading "`spiderd <command>`" over a Flag | Default table. */
function commandTables(): Map<string, Array<{ where: string; flag: string | undefined; defaultText: string }>> {
  const out = new Map<string, Array<{ where: string; flag: string | undefined; defaultText: string }>>();
  for (const t of tablesOf('docs/configuration.md')) {
    const name = /^`spiderd ([a-z ]+)`/.exec(t.heading)?.[1];
    const [flagCol, defCol] = ['Flag', 'Default'].map((h) => t.header.indexOf(h));
    if (name === undefined || flagCol! < 0 || defCol! < 0 || t.header.includes('Environment variable')) continue;
    const rows = out.get(name) ?? [];
    for (const r of t.rows) rows.push({ where: `docs/configuration.md:${r.line}`, flag: cellFlag(r.cells[flagCol!] ?? ''), defaultText: cellValue(r.cells[defCol!] ?? '') });
    out.set(name, rows);
  }
  return out;
}

/** Flags the bench scripts accept (`npm run bench -- --runs 3`), from their parseArgs options. */
function scriptFlags(): Set<string> {
  const flags = new Set<string>();
  for (const file of ['scripts/bench.ts', 'scripts/leak-bench.ts']) {
    const options = /parseArgs\(\{\s*options:\s*\{([\s\S]*?)\}\s*\}\)/.exec(read(file))?.[1] ?? '';
    for (const m of options.matchAll(/'?([a-z][a-z0-9-]*)'?:\s*\{\s*type:/g)) flags.add(`--${m[1]}`);
  }
  return flags;
}

// ---- the tests ----------------------------------------------------------------------------

test('the checker tells a documented default that differs from the code', () => {
  assert.ok(agrees('30s', 30_000, 'ms'), '30s is 30,000 ms');
  assert.ok(agrees('5m', 300_000, 'ms'));
  assert.ok(agrees('2m', '120', 's'), 'a bare number keeps its unit: 120 seconds');
  assert.ok(!agrees('30', 30_000, 'ms'), 'a bare 30 is 30 ms, not 30 s');
  assert.ok(!agrees('50ms', 130, 'ms'));
  assert.ok(agrees('1900', 1900, null));
  assert.ok(!agrees('2048', 1900, null));
  assert.ok(!agrees('1900 MB', 1900, null));
  assert.ok(agrees('none', undefined, null) && agrees('off', false, null) && agrees('none', [], null));
  assert.ok(!agrees('none', 'auto', null) && !agrees('true', false, null));
  assert.ok(agrees('one per CPU', os.availableParallelism(), null));
  assert.ok(!agrees('one per CPU', os.availableParallelism() + 1, null));
});

test('every --flag named in README.md and docs/*.md exists', async () => {
  const known = new Set<string>(['--help', ...Object.keys(FOREIGN_FLAGS), ...scriptFlags()]); // --help: commander's, on every command
  for (const cmd of await commands()) for (const o of cmd.options) if (o.long !== undefined) known.add(o.long);
  const unknown: string[] = [];
  for (const file of DOCS) {
    read(file).split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) if (!known.has(m[0])) unknown.push(`${file}:${i + 1}: ${m[0]}`);
    });
  }
  assert.deepEqual(unknown, [], `flags that spiderd does not have:\n${unknown.join('\n')}`);
});

test('every SPIDERD_* name in the documents, the env example and compose is a setting or an error code', () => {
  const unknown: string[] = [];
  for (const file of [...DOCS, 'deploy/spiderd.env.example', 'docker-compose.yml']) {
    read(file).split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/SPIDERD_[A-Z0-9_]+/g)) if (!KEY_OF_ENV.has(m[0]) && !(m[0] in ERROR_CODES)) unknown.push(`${file}:${i + 1}: ${m[0]}`);
    });
  }
  assert.deepEqual(unknown, [], `names that are neither a setting (src/shared/config.ts) nor an error code:\n${unknown.join('\n')}`);
});

test('docs/configuration.md has one row for every setting, with its flag and the code\'s default', () => {
  const rows = settingRows(['docs/configuration.md']);
  const problems: string[] = [];
  for (const [key, env] of Object.entries(ENV_NAMES) as Array<[ConfigKey, string]>) {
    const mine = rows.filter((r) => r.env === env);
    if (mine.length !== 1) {
      problems.push(`${env}: ${mine.length} rows in docs/configuration.md (one expected)`);
      continue;
    }
    const row = mine[0]!;
    const flag = (FLAG_NAMES as Partial<Record<ConfigKey, string>>)[key];
    if (row.flag !== flag) problems.push(`${row.where}: ${env} has flag ${flag ?? 'none'} in the code, ${row.flag ?? 'none'} in the document`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('every default in a settings table (README.md, docs/*.md) is the code\'s default', () => {
  const problems: string[] = [];
  for (const row of settingRows(DOCS)) {
    const key = (row.env !== undefined ? KEY_OF_ENV.get(row.env) : undefined) ?? (row.flag !== undefined ? KEY_OF_FLAG.get(row.flag) : undefined);
    if (key === undefined) {
      problems.push(`${row.where}: ${row.env ?? row.flag ?? 'a row'} is not a setting of src/shared/config.ts`);
      continue;
    }
    if (row.env !== undefined && row.env !== ENV_NAMES[key]) problems.push(`${row.where}: ${row.flag} is set by ${ENV_NAMES[key]}, not ${row.env}`);
    const code = CODE_DEFAULTS[key];
    if (!agrees(row.defaultText, code, key.endsWith('Ms') ? 'ms' : null)) problems.push(`${row.where}: ${ENV_NAMES[key]} documented default ${JSON.stringify(row.defaultText)}, code default ${JSON.stringify(code)}`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('docs/configuration.md documents every flag of every command, with the code\'s default', async () => {
  const tables = commandTables();
  const problems: string[] = [];
  for (const cmd of await commands()) {
    const rows = tables.get(cmd.path) ?? [];
    const own = cmd.options.filter((o) => settingOf(o) === undefined);
    for (const o of own) {
      const row = rows.find((r) => r.flag === o.long);
      if (!row) {
        problems.push(`spiderd ${cmd.path} ${o.long}: no row in the "\`spiderd ${cmd.path}\`" table of docs/configuration.md`);
        continue;
      }
      const { value, unit } = optionDefault(cmd, o);
      if (!agrees(row.defaultText, value, unit)) problems.push(`${row.where}: spiderd ${cmd.path} ${o.long} documented default ${JSON.stringify(row.defaultText)}, code default ${JSON.stringify(value)}`);
    }
    for (const r of rows) if (!own.some((o) => o.long === r.flag)) problems.push(`${r.where}: spiderd ${cmd.path} has no flag ${r.flag ?? '(none named)'} of its own`);
  }
  const known = new Set((await commands()).map((c) => c.path));
  for (const name of tables.keys()) if (!known.has(name)) problems.push(`docs/configuration.md: no command "spiderd ${name}"`);
  assert.deepEqual(problems, [], problems.join('\n'));
});
