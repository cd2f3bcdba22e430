/** The page queue (BullMQ). Its jobs are described in page-jobs.ts. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAME } from './keys.js';
import type { PageJob } from './page-jobs.js';

export function createPageQueue(connection: Redis, prefix: string): Queue<PageJob> {
  const queue = new Queue<PageJob>(QUEUE_NAME, { connection, prefix });
  // The Queue re-emits its connection's errors, which the connection's own listener already
  // logs (redacted). Without a listener BullMQ prints the raw error to stderr, and an ioredis
  // error there carries the failed command's arguments: AUTH's is the password.
  queue.on('error', () => undefined);
  return queue;
}
