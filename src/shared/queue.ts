/** The page queue (BullMQ). Its jobs are described in page-jobs.ts. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAME } from './keys.js';
import type { PageJob } from './page-jobs.js';

export function createPageQueue(connection: Redis, prefix: string): Queue<PageJob> {
  return new Queue<PageJob>(QUEUE_NAME, { connection, prefix });
}
