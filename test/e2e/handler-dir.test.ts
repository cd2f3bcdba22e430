/**
 * End to end: a crawl's --handler runs only from a directory the daemon allows
 * (--handler-dir, repeatable, or SPIDERD_HANDLER_DIR); any other module is never imported,
 * its crawl's pages fail with SPIDERD_HANDLER_NOT_ALLOWED and the daemon logs it once.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

/** A handler that leaves a marker file when it is imported, so "never imported" can be checked. */
const handlerSource = (marker: string) => `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker)}, 'imported');
export default ({ url }) => ({ seen: url });
`;

describe('per-crawl handlers and --handler-dir', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: SampleSite;
  let daemon: Daemon;
  let tmp: string;
  const file = (...p: string[]) => path.join(tmp, ...p);

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'spiderd-handler-dir-'));
    for (const dir of ['allowed', 'also-allowed', 'env-allowed', 'outside']) await mkdir(file(dir));
    await writeFile(file('allowed', 'ok.mjs'), handlerSource(file('ok.imported')));
    await writeFile(file('also-allowed', 'ok2.mjs'), handlerSource(file('ok2.imported')));
    await writeFile(file('env-allowed', 'ok3.mjs'), handlerSource(file('ok3.imported')));
    await writeFile(file('outside', 'evil.mjs'), handlerSource(file('evil.imported')));
    await symlink(file('outside', 'evil.mjs'), file('allowed', 'sneaky.mjs'));
    site = await startSampleSite({ pages: 5 });
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_HANDLER_DIR: file('env-allowed') } };
    daemon = startDaemon(env, ['--workers', '1', '--concurrency', '4', '--handler-dir', file('allowed'), '--handler-dir', file('also-allowed')]);
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    await deletePrefix(env.prefix);
    await db?.drop();
    await rm(tmp, { recursive: true, force: true });
  });

  async function crawl(name: string, handler: string): Promise<Array<{ state: string; error_code: string | null; data: unknown }>> {
    const enq = await runCli(env, ['enqueue', site.seedUrl, '--crawl', name, '--max-depth', '0', '--per-host-delay', '0', '--handler', handler]);
    assert.equal(enq.code, 0, enq.stderr);
    const wait = await runCli(env, ['status', '--crawl', name, '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    return queryDb(db.url, 'SELECT p.state, p.error_code, p.data FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = $1', [name]);
  }

  test('handlers inside the flag directories run; the flag replaces the environment variable', async () => {
    for (const [name, handler] of [['inside', file('allowed', 'ok.mjs')], ['inside-2', file('also-allowed', 'ok2.mjs')]] as const) {
      const rows = await crawl(name, handler);
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]!.state, rows[0]!.error_code, rows[0]!.data], ['fetched', null, { seen: site.seedUrl }], name);
    }
    const fromEnv = await crawl('env-dir', file('env-allowed', 'ok3.mjs'));
    assert.deepEqual([fromEnv[0]!.state, fromEnv[0]!.error_code], ['failed', 'SPIDERD_HANDLER_NOT_ALLOWED'], 'flags beat the environment variable');
    assert.equal(existsSync(file('ok3.imported')), false);
  });

  test('a handler outside, or a symlink inside that leads outside, is never imported: SPIDERD_HANDLER_NOT_ALLOWED, logged once', async () => {
    for (const [name, handler] of [['outside', file('outside', 'evil.mjs')], ['symlink', file('allowed', 'sneaky.mjs')], ['relative-escape', `${file('allowed')}/../outside/evil.mjs`]] as const) {
      const rows = await crawl(name, handler);
      assert.deepEqual(rows.map((r) => [r.state, r.error_code]), [['failed', 'SPIDERD_HANDLER_NOT_ALLOWED']], name);
    }
    assert.equal(existsSync(file('evil.imported')), false, 'the module outside never ran');
    const lines = daemon.output().split('\n').filter((l) => l.includes('SPIDERD_HANDLER_NOT_ALLOWED') && l.includes('evil.mjs'));
    assert.equal(lines.filter((l) => l.includes(file('outside', 'evil.mjs'))).length >= 1, true);
    assert.equal(new Set(lines.map((l) => (JSON.parse(l) as { handler: string }).handler)).size, lines.length, 'one log line per handler path');
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output());
  });
});
