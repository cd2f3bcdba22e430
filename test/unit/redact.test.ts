/** Secrets in URLs and in text that embeds them never reach a log line or the CLI's errors. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { SpiderdError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { redactText, redactUrl } from '../../src/shared/redact.js';

test('the password of a URL userinfo is replaced, the rest kept as written', () => {
  assert.equal(redactUrl('postgresql://spider:hunter2@db.internal:5432/spiderd'), 'postgresql://spider:***@db.internal:5432/spiderd');
  assert.equal(redactUrl('redis://:hunter2@127.0.0.1:6379/0'), 'redis://:***@127.0.0.1:6379/0');
  assert.equal(redactUrl('rediss://default:p%40ss@redis.example:6380'), 'rediss://default:***@redis.example:6380');
  assert.equal(redactUrl('postgresql://u:p@ss:w0rd@host/db'), 'postgresql://u:***@host/db', 'WHATWG takes the last @ of the authority');
  assert.equal(redactUrl('postgresql://postgres@127.0.0.1:5432/spiderd'), 'postgresql://postgres@127.0.0.1:5432/spiderd', 'no password, nothing to hide');
  assert.equal(redactUrl('http://example.com/a@b:c'), 'http://example.com/a@b:c', 'an @ in the path is not userinfo');
});

test('secret query and key=value parameters are replaced, others kept', () => {
  assert.equal(
    redactUrl('postgresql://db/spiderd?user=spider&password=hunter2&sslmode=require&sslpassword=k3y&application_name=x'),
    'postgresql://db/spiderd?user=spider&password=***&sslmode=require&sslpassword=***&application_name=x',
  );
  for (const name of ['pass', 'pwd', 'passwd', 'secret', 'client_secret', 'token', 'access_token', 'api_key', 'apikey', 'key', 'auth', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']) {
    assert.equal(redactUrl(`https://h/p?a=1&${name}=s3cr3t&b=2`), `https://h/p?a=1&${name}=***&b=2`, name);
  }
  assert.equal(redactText('host=db port=5432 user=spider password=hunter2 dbname=x'), 'host=db port=5432 user=spider password=*** dbname=x');
  assert.equal(redactText("connect failed for 'postgresql://u:hunter2@h/db?password=x' (retrying)"), "connect failed for 'postgresql://u:***@h/db?password=***' (retrying)");
  assert.equal(redactText('page https://example.com/?q=monkey&page=2 stored'), 'page https://example.com/?q=monkey&page=2 stored');
});

test('a log line never carries a password: message, fields, config, error message, stack and cause', () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const log = createLogger({ logLevel: 'info' }, 'test', {}, sink);
  const cause = new Error('getaddrinfo ENOTFOUND for postgresql://spider:hunter2@db/spiderd?sslpassword=hunter3');
  const err = new SpiderdError('SPIDERD_DB_UNAVAILABLE', 'cannot connect to redis://:hunter4@cache:6379', { cause });
  log.error({ err, config: { databaseUrl: 'postgresql://u:hunter5@h/db', note: 'dsn password=hunter6 host=x' }, target: 'https://h/?token=hunter7' }, 'failed at postgresql://u:hunter8@h/db');
  log.warn('plain message with https://u:hunter9@h/');
  for (const secret of ['hunter2', 'hunter3', 'hunter4', 'hunter5', 'hunter6', 'hunter7', 'hunter8', 'hunter9']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  const line = JSON.parse(out.split('\n')[0]!) as { err: { code: string; message: string; stack: string }; msg: string };
  assert.equal(line.err.code, 'SPIDERD_DB_UNAVAILABLE');
  assert.match(line.err.message, /redis:\/\/:\*\*\*@cache:6379/);
  assert.match(line.err.message, /postgresql:\/\/spider:\*\*\*@db\/spiderd\?sslpassword=\*\*\*/, 'the cause is in the message, redacted');
  assert.equal(line.msg, 'failed at postgresql://u:***@h/db');
  assert.equal(err.message, 'cannot connect to redis://:hunter4@cache:6379', 'the error object itself is not changed');
});

test("drivers' error objects: ioredis's command args, pg's connection fields, nested errors and URL objects carry no secret", () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const log = createLogger({ logLevel: 'info' }, 'test', {}, sink);
  // What ioredis's ReplyError carries after a failed AUTH.
  const reply = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), { name: 'ReplyError', command: { name: 'auth', args: ['hunter10'] } });
  // What pg's connection errors and options can carry.
  const pgError = Object.assign(new Error('password authentication failed for user "spider"'), { code: '28P01', client: { password: 'hunter11', connectionString: 'postgresql://spider:hunter12@db/x' } });
  log.warn({ err: reply }, 'Redis connection error');
  log.warn({ err: new Error('wrapped', { cause: reply }) }, 'a cause');
  log.warn({ failure: pgError, target: new URL('https://u:hunter13@example.com/'), errors: [reply] }, 'fields that are errors');
  for (const secret of ['hunter10', 'hunter11', 'hunter12', 'hunter13']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  const first = JSON.parse(out.split('\n')[0]!) as { err: { command: { name: string; args: string[] }; message: string } };
  assert.deepEqual(first.err.command, { name: 'auth', args: ['***'] }, 'the command name stays, its arguments go');
  assert.match(first.err.message, /WRONGPASS/);
  const third = JSON.parse(out.split('\n')[2]!) as { failure: { code: string; message: string }; target: string };
  assert.equal(third.failure.code, '28P01');
  assert.equal(third.target, 'https://u:***@example.com/');
});
