/**
 * Opens everything a crawler process works with, each registered with its closer (closed in
 * reverse on drain): Redis, PostgreSQL, the page queue (for discovered pages), the HTTP agent,
 * the batched store, and the BullMQ worker (not started: the caller runs it).
 */
import type { Config } from '../shared/config.js';
import { createDb, type Db } from '../shared/db/client.js';
import { redisKeys } from '../shared/keys.js';
import type { Resources } from '../shared/lifecycle.js';
import type { Logger } from '../shared/logger.js';
import { createPageQueue } from '../shared/queue.js';
import { createRedis } from '../shared/redis.js';
import { CrawlCache } from './crawl-cache.js';
import { createCrawlWorker, type CrawlWorker } from './crawl-worker.js';
import { createHttpAgent, fetchLimits } from './fetch/http-agent.js';
import { HandlerLoader } from './handler.js';
import { PageGuard } from './page-guard.js';
import { HostPoliteness } from './politeness.js';
import { createPageProcessor } from './process-page.js';
import { RobotsGate } from './robots/robots-gate.js';
import { settlesWithin } from './settles-within.js';
import { StoreBatch } from './store-batch.js';

export interface Runtime extends CrawlWorker {
  store: StoreBatch;
  db: Db;
}

export function openRuntime(config: Config, workerId: string, log: Logger, resources: Resources, onJobDone: (jobsDone: number) => void): Runtime {
  const keys = redisKeys(config.prefix);
  const redis = resources.add('redis', createRedis(config, `crawler-${workerId}`), (r) => r.disconnect());
  redis.on('error', (err: Error) => log.warn({ err }, 'Redis connection error (commands wait for the reconnect)'));
  const db = resources.add('postgresql', createDb(config, { poolSize: Math.min(10, config.concurrency + 1) }), (d) => d.$disconnect());
  const queue = resources.add('page queue', createPageQueue(redis, keys.bullPrefix), (q) => settlesWithin(q.close(), 5_000));
  const limits = fetchLimits(config);
  const agent = resources.add('http agent', createHttpAgent(limits, { allowPrivateNetworks: config.allowPrivateNetworks }), (a) => a.destroy());
  const store = resources.add(
    'page store',
    new StoreBatch({ db, queue, log, attempts: config.attempts, batchSize: config.batchSize, flushMs: config.flushMs }),
    (s) => s.close(),
  );
  const processPage = createPageProcessor({
    config,
    log,
    crawls: new CrawlCache(db),
    guard: new PageGuard(db),
    robots: new RobotsGate({ redis, keys, agent, log, robotsAgent: config.robotsAgent, userAgent: config.userAgent, fetchDeadlineMs: config.fetchDeadlineMs }),
    politeness: new HostPoliteness(redis, keys),
    agent,
    limits,
    handlers: new HandlerLoader(log, { trusted: config.handler, allowedDirs: config.handlerDirs }),
    store,
  });
  const crawlWorker = createCrawlWorker({ config, connection: redis, log, process: processPage, onJobDone });
  return { ...crawlWorker, store, db };
}
