/**
 * Opens everything a crawler process works with, each registered with its closer (closed in
 * reverse on drain): Redis, PostgreSQL, the page queue (for discovered pages), the HTTP agent,
 * the fetch slots and their autoscaler, the batched store, and the BullMQ workers, one per queue
 * shard (not started: the caller runs them).
 */
import type { Config } from '../shared/config.js';
import { createSql, type Sql } from '../shared/db/sql.js';
import { keysFor } from '../shared/keys.js';
import type { Resources } from '../shared/lifecycle.js';
import type { Logger } from '../shared/logger.js';
import { PageQueues } from '../shared/page-queues.js';
import { createRedis } from '../shared/redis.js';
import { startAutoscale } from './autoscale.js';
import { CrawlCache } from './crawl-cache.js';
import { createPageCrawler } from './crawl-page.js';
import { createCrawlWorker, jobSlots, type CrawlWorker } from './crawl-worker.js';
import { createHttpAgent, fetchLimits } from './fetch/http-agent.js';
import { HandlerLoader } from './handler.js';
import { KnownUrls } from './known-urls.js';
import { PageGuard } from './page-guard.js';
import { withSitemaps } from './sitemaps/with-sitemaps.js';
import { HostPoliteness } from './politeness/host-politeness.js';
import { createPageProcessor } from './process-page.js';
import { RobotsGate } from './robots/robots-gate.js';
import { settlesWithin } from './settles-within.js';
import { Slots } from './slots.js';
import { StoreBatch } from './store-batch.js';

export interface Runtime extends CrawlWorker {
  store: StoreBatch;
  sql: Sql;
  slots: Slots;
}

/** Where --concurrency auto starts. */
const AUTO_START = 16;
const AUTO_MIN = 2;

export function openRuntime(config: Config, workerId: string, log: Logger, resources: Resources, onJobDone: (jobsDone: number) => void): Runtime {
  const keys = keysFor(config);
  const redis = resources.add('redis', createRedis(config, `crawler-${workerId}`), (r) => r.disconnect());
  redis.on('error', (err: Error) => log.warn({ err }, 'Redis connection error (commands wait for the reconnect)'));
  // One store flush at a time, plus the guard's lookups, crawl loads and the rare leak report; raw
  // SQL through Prisma's driver adapter. No Prisma Client in a crawler process (a few MB of RSS).
  const sql = resources.add('postgresql', createSql(config, { max: 3 }), (s) => s.close());
  const queue = resources.add('page queue', new PageQueues(redis, keys), (q) => settlesWithin(q.close(), 5_000));
  const limits = fetchLimits(config);
  const agent = resources.add('http agent', createHttpAgent(limits, { allowPrivateNetworks: config.allowPrivateNetworks }), (a) => a.destroy());
  const auto = config.concurrency === 'auto';
  const slots = new Slots(auto ? Math.min(AUTO_START, config.maxConcurrency) : (config.concurrency as number));
  const known = new KnownUrls();
  const store = resources.add(
    'page store',
    new StoreBatch({ sql, queue, log, known, attempts: config.attempts, batchSize: config.batchSize, flushMs: config.flushMs, upstream: () => slots.active }),
    (s) => s.close(),
  );
  const robots = new RobotsGate({ redis, keys, agent, log, robotsAgent: config.robotsAgent, userAgent: config.userAgent, fetchDeadlineMs: config.fetchDeadlineMs });
  const politeness = new HostPoliteness(redis, keys);
  const handlers = new HandlerLoader(log, { trusted: config.handler, allowedDirs: config.handlerDirs });
  const crawlPage = withSitemaps(createPageCrawler({ config, robots, known, politeness, slots, agent, limits, handlers }), { config, agent, robots, politeness, known, sql, log });
  const processPage = createPageProcessor({ config, log, crawls: new CrawlCache(sql), guard: new PageGuard(sql), crawlPage, slots, store });
  const crawlWorker = createCrawlWorker({ config, keys, connection: redis, log, process: processPage, fetchSlots: slots.limit, onJobDone });
  if (auto) {
    const memoryLimitBytes = config.maxWorkerMemoryMb * 1024 * 1024;
    const options = { min: AUTO_MIN, max: config.maxConcurrency };
    const onLimit = (limit: number) => {
      crawlWorker.worker.setConcurrency(jobSlots(limit));
    };
    resources.add('autoscale', startAutoscale({ slots, options, memoryLimitBytes, onLimit, log }), (a) => a.stop());
  }
  return { ...crawlWorker, store, sql, slots };
}
