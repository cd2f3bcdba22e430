/** A random Redis key prefix per test file, and cleanup of every key under it. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testPrefix(): string {
  return `spt${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes every key under the prefix at once (one script), as a restart or FLUSHDB loses them:
 * deleting key by key while a crawl runs could leave a job whose hash survives its queue list,
 * a state no real loss of data produces.
 */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await redis.eval(
      "local cursor = '0' repeat local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = r[1] for _, k in ipairs(r[2]) do redis.call('UNLINK', k) end until cursor == '0' return 0",
      0,
      `${prefix}:*`,
    );
  } finally {
    redis.disconnect();
  }
}
