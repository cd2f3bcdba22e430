/**
 * Connection failures are told apart by the code the server answers with. PostgreSQL's 28P01
 * (wrong password) cannot be produced by the trust-auth server the integration tests use, so
 * its wording is checked here on an error shaped as pg throws it; the others also run for real
 * in test/integration/cli-db-checks.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postgresConnectError } from '../../src/shared/db/connect-error.js';
import { redisConnectError } from '../../src/shared/redis-connect-error.js';

const URL_ = 'postgresql://spider:hunter2@db.internal:5432/crawls';
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('PostgreSQL: each server answer gets its own code and says what to fix, without the password', () => {
  const cases: [Error, string, RegExp][] = [
    [pgError('28P01', 'password authentication failed for user "spider"'), 'SPIDERD_DB_AUTH_FAILED', /authentication failed for user "spider".*fix the user and password in DATABASE_URL/],
    [pgError('28000', 'role "spider" does not exist'), 'SPIDERD_DB_ROLE_MISSING', /role "spider" does not exist; create it \(`createuser spider`\)/],
    [pgError('28000', 'no pg_hba.conf entry for host "10.0.0.5", user "spider", database "crawls"'), 'SPIDERD_DB_AUTH_FAILED', /the login was refused \(no pg_hba\.conf entry/],
    [pgError('3D000', 'database "crawls" does not exist'), 'SPIDERD_DB_MISSING', /database "crawls" does not exist; create it with `spiderd migrate`/],
    [pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432'), 'SPIDERD_DB_UNAVAILABLE', /is not reachable \(connect ECONNREFUSED/],
  ];
  for (const [err, code, message] of cases) {
    const out = postgresConnectError(err, URL_);
    assert.equal(out.code, code, err.message);
    assert.match(out.message, message);
    assert.match(out.message, /^PostgreSQL at postgresql:\/\/spider:\*\*\*@db\.internal:5432\/crawls/);
    assert.equal(out.transient, code === 'SPIDERD_DB_UNAVAILABLE');
    assert.equal(out.cause, err);
  }
});

test('Redis: NOAUTH, WRONGPASS and a password Redis does not expect are authentication failures; anything else is unreachable', () => {
  for (const message of [
    'NOAUTH Authentication required.',
    'WRONGPASS invalid username-password pair or user is disabled.',
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  ]) {
    assert.equal(redisConnectError(new Error(message), 'redis://:hunter2@cache:6379').code, 'SPIDERD_REDIS_AUTH_FAILED', message);
  }
  const down = redisConnectError(new Error('connect ECONNREFUSED 127.0.0.1:6379'), 'redis://:hunter2@cache:6379');
  assert.equal(down.code, 'SPIDERD_REDIS_UNAVAILABLE');
  assert.match(down.message, /^Redis at redis:\/\/:\*\*\*@cache:6379 is not reachable \(connect ECONNREFUSED/);
});
