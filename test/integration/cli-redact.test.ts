/** The real CLI never prints a password from a connection URL (userinfo or query) in its errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/spiderd.js';

const SECRETS = ['hunter2', 'hunter3', 'hunter4', 'hunter5'];
const env = { databaseUrl: 'postgresql://spider:hunter2@127.0.0.1:1/spiderd?sslpassword=hunter3', redisUrl: 'redis://:hunter4@127.0.0.1:1/0?password=hunter5', prefix: 'spt-redact' };

for (const args of [['status'], ['mem'], ['status', '--database-url', env.databaseUrl], ['migrate'], ['enqueue', 'http://u:hunter2@/?token=hunter3', '--crawl', 'x']]) {
  test(`spiderd ${args[0]} fails without printing a password (${args.slice(1).join(' ') || 'from the environment'})`, async () => {
    const r = await runCli(env, args);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^spiderd: SPIDERD_[A-Z_]+: /m);
    for (const s of SECRETS) assert.ok(!r.stderr.includes(s) && !r.stdout.includes(s), `${s} printed: ${r.stderr}`);
  });
}
