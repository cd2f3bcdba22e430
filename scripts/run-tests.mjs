// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner, one file
// at a time (files share the machine's Redis and PostgreSQL, each under its own prefix and
// database). Extra arguments narrow the run: `node scripts/run-tests.mjs unit`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(root, f));
if (files.length === 0) {
  console.error('no test files found under dist/test (run `npm run build` first)');
  process.exit(1);
}
// A hung test (say, a daemon that died while a test waits for its crawl) fails after 10 minutes,
// and the whole run after 30, instead of eating CI's time.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=600000', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  timeout: 30 * 60_000,
  killSignal: 'SIGKILL',
});
if (r.error) console.error(`test run stopped: ${r.error.message}`);
process.exit(r.status ?? 1);
