/** Which handler paths a crawl may name: only real files inside an allowed directory. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SpiderdError } from '../../src/shared/errors.js';
import { allowedHandlerPath } from '../../src/workers/handler-path.js';

let root: string;
let allowed: string;
let outside: string;

before(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'spiderd-handler-path-')));
  allowed = path.join(root, 'allowed');
  outside = path.join(root, 'outside');
  await mkdir(path.join(allowed, 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(allowed, 'ok.mjs'), 'export default () => 1;\n');
  await writeFile(path.join(allowed, 'sub', 'deep.mjs'), 'export default () => 1;\n');
  await writeFile(path.join(outside, 'evil.mjs'), 'export default () => 1;\n');
  await symlink(path.join(outside, 'evil.mjs'), path.join(allowed, 'link-out.mjs'));
  await symlink(path.join(allowed, 'ok.mjs'), path.join(outside, 'link-in.mjs'));
  await symlink(allowed, path.join(root, 'allowed-link'));
});

after(() => rm(root, { recursive: true, force: true }));

async function code(file: string, dirs: string[]): Promise<string> {
  try {
    await allowedHandlerPath(file, dirs);
  } catch (err) {
    assert.ok(err instanceof SpiderdError);
    return err.code;
  }
  return 'allowed';
}

test('a file inside an allowed directory (or below it) is allowed, as its real path', async () => {
  assert.equal(await allowedHandlerPath(path.join(allowed, 'ok.mjs'), [allowed]), path.join(allowed, 'ok.mjs'));
  assert.equal(await allowedHandlerPath(path.join(allowed, 'sub', 'deep.mjs'), [outside, allowed]), path.join(allowed, 'sub', 'deep.mjs'));
  // The allowed directory itself given through a symlink.
  assert.equal(await allowedHandlerPath(path.join(allowed, 'ok.mjs'), [path.join(root, 'allowed-link')]), path.join(allowed, 'ok.mjs'));
  // A link from elsewhere to a file inside: what runs is the allowed file.
  assert.equal(await allowedHandlerPath(path.join(outside, 'link-in.mjs'), [allowed]), path.join(allowed, 'ok.mjs'));
});

test('a file outside, a symlink leading outside, a .. escape, or no allowed directory at all: SPIDERD_HANDLER_NOT_ALLOWED', async () => {
  assert.equal(await code(path.join(outside, 'evil.mjs'), [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED');
  assert.equal(await code(path.join(allowed, 'link-out.mjs'), [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED');
  assert.equal(await code(`${allowed}/../outside/evil.mjs`, [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED');
  assert.equal(await code(path.join(allowed, 'ok.mjs'), []), 'SPIDERD_HANDLER_NOT_ALLOWED');
  assert.equal(await code(allowed, [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED', 'the directory itself is not a module');
  assert.equal(await code(path.join(root, 'allowed-other', 'x.mjs'), [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED', 'a sibling with a common prefix');
  assert.equal(await code('/etc/passwd', [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED');
});

test('a missing file inside an allowed directory is SPIDERD_HANDLER_INVALID; outside, it is not looked into', async () => {
  assert.equal(await code(path.join(allowed, 'missing.mjs'), [allowed]), 'SPIDERD_HANDLER_INVALID');
  assert.equal(await code(path.join(outside, 'missing.mjs'), [allowed]), 'SPIDERD_HANDLER_NOT_ALLOWED');
});
