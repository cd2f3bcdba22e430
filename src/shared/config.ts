/**
 * Configuration: flags > environment > defaults, validated once with zod (every problem
 * reported together), then frozen and passed down. This is the only module that reads
 * process.env. Crawl options (scope, politeness, limits) are not here: they are stored
 * with each crawl, see crawl-options.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { SpiderdError } from './errors.js';
import { VERSION } from './version.js';

// Each value type carries a plain description of what it accepts; loadConfig puts it in the error.
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).describe(max === Number.MAX_SAFE_INTEGER ? `a whole number, ${min} or more` : `a whole number ${min}-${max}`);
/** A duration in ms: a number, or text with units (`30s`, `500ms`, `6h`); a bare number in text is ms (environment variables). */
const ms = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? (parseDuration(v, 'ms') ?? v) : v), z.number().int().min(min).max(max)).describe(`a duration ${formatDuration(min)}-${formatDuration(max)}, such as 500ms, 30s, 5m or 6h`);
const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no'])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes')
  .describe('true or false (also yes/no, 1/0)');

/** A list of directories: an array (repeated flag) or one string of paths joined with the OS path delimiter (":"). */
const dirList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(path.delimiter) : v),
  z.array(z.string()).transform((dirs) => dirs.map((d) => d.trim()).filter((d) => d !== '').map((d) => path.resolve(d))),
);

function isRedisUrl(raw: string): boolean {
  try {
    return /^rediss?:$/.test(new URL(raw.trim()).protocol);
  } catch {
    return false;
  }
}

const schema = z.object({
  /** One redis:// or rediss:// URL; with redisCluster, several (seed nodes) joined by commas. */
  redisUrl: z.string().refine((v) => v.split(',').every(isRedisUrl), 'must be a redis:// or rediss:// URL (with --redis-cluster, several joined by commas)'),
  /** Redis is a Redis Cluster: the page queue is sharded by host into queueShards queues (shards.ts). */
  redisCluster: bool,
  /** K, the page queue's shards on a Redis Cluster (a standalone Redis has one). */
  queueShards: int(1, 1024),
  databaseUrl: z.string().url().refine((u) => /^postgres(ql)?:/.test(u), 'must be a postgresql:// URL'),
  prefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only (1-64 characters)'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).describe('one of fatal, error, warn, info, debug, trace, silent'),
  daemonId: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only'),
  workers: int(1, 256),
  /**
   * Pages fetched at once per crawler process: 'auto' adapts between 2 and maxConcurrency to the
   * CPU, event-loop delay and memory (autoscale.ts); a number fixes it.
   */
  concurrency: z.union([z.literal('auto'), int(1, 1000)]).describe('a whole number 1-1000, or auto'),
  maxConcurrency: int(2, 1000),
  graceMs: ms(0, 3_600_000),
  heartbeatMs: ms(200, 60_000),
  restartBaseMs: ms(10, 600_000),
  restartMaxMs: ms(10, 3_600_000),
  /** Crashes within crashWindowMs after which a slot is given up and reported. */
  crashLoopLimit: int(1, 1000),
  crashWindowMs: ms(1000, 86_400_000),
  connectTimeoutMs: ms(100, 600_000),
  headersTimeoutMs: ms(100, 600_000),
  bodyTimeoutMs: ms(100, 600_000),
  maxBodyBytes: int(1024, 1024 ** 3),
  maxDecompressedBytes: int(1024, 4 * 1024 ** 3),
  maxRedirects: int(0, 20),
  /** Total time one fetch may take, connect + headers + body (robots.txt too): a tarpit costs a slot at most this long. */
  fetchDeadlineMs: ms(1_000, 3_600_000),
  /** A crawler process whose event loop does not answer for this long is killed and replaced. */
  blockedLimitMs: ms(1_000, 3_600_000),
  /** How often one daemon of the fleet re-adds jobs for queued pages that have none. */
  reconcileIntervalMs: ms(1_000, 86_400_000),
  /** How often one daemon of the fleet moves pages whose recrawl is due into the queue. */
  recrawlTickMs: ms(200, 3_600_000),
  /**
   * How long a crawler process's lock on a page job lasts (renewed at half that while it
   * works). A job whose process died is redelivered once the lock lapses and the stall check
   * (same interval) sees it.
   */
  jobLockMs: ms(1_000, 3_600_000),
  /** Attempts per URL for transient failures (timeouts, 5xx, 429). */
  attempts: int(1, 50),
  retryBaseMs: ms(10, 3_600_000),
  /** Page writes are batched: flushed at this many pages or after flushMs. */
  batchSize: int(1, 10_000),
  flushMs: ms(1, 10_000),
  /** Memory sampling and leak hunting. */
  sampleIntervalMs: ms(100, 3_600_000),
  snapshotDir: z.string().min(1),
  heapCapMb: int(0, 1_000_000),
  maxWorkerMemoryMb: int(0, 1_000_000),
  maxJobsPerWorker: int(0, Number.MAX_SAFE_INTEGER),
  recycleOnLeak: bool,
  leakSentinel: bool,
  /** Sentinel: jobs before fitting, growth threshold (MB per 1,000 jobs), jobs between snapshots. */
  leakWarmupJobs: int(1, 10_000_000),
  leakThresholdMbPer1kJobs: z.coerce.number().positive().describe('a number above 0'),
  leakSnapshotGapJobs: int(1, 10_000_000),
  snapshotMaxFiles: int(1, 100_000),
  snapshotMaxBytes: int(1, Number.MAX_SAFE_INTEGER),
  snapshotMinIntervalMs: ms(0, 86_400_000),
  handler: z.string().min(1).optional(),
  /** Safety on the open web (issue 8): the SSRF guard's opt-out, robots.txt identity, deadlines, handler trust. */
  allowPrivateNetworks: bool,
  /** The product token matched against robots.txt user-agent lines (RFC 9309: letters, "_" and "-"). */
  robotsAgent: z.string().regex(/^[A-Za-z_-]{1,100}$/, 'a robots.txt product token: 1-100 letters, "_" or "-" (RFC 9309), e.g. spiderd'),
  /** The User-Agent header for crawls that set none (a crawl's --user-agent overrides it). */
  userAgent: z.string().regex(/^[\x20-\x7e]{1,500}$/, '1-500 printable ASCII characters'),
  /** Directories whose modules a crawl's own --handler may name (the daemon's --handler is trusted as is). */
  handlerDirs: dirList,
  /** Sentinel: jobs between two post-GC measurements (a full GC is forced when V8 ran none). */
  leakPointEveryJobs: int(10, 10_000_000),
  /** Sentinel: share of wall time forced GCs may cost (pause and after-effect), after a process's start allowance. */
  leakGcBudgetPercent: z.coerce.number().min(0).max(50).describe('a number 0-50'),
  /** Sentinel: longest pause for one investigation snapshot; a bigger heap gets a sampling profile instead. */
  leakMaxPauseMs: ms(0, 3_600_000),
  /** Sentinel, slow leaks: jobs before the long window starts, and the jobs it must span (slow-growth.ts). */
  leakSlowWarmupJobs: int(1, 100_000_000),
  leakSlowWindowJobs: int(100, 100_000_000),
  /** Sentinel: growth that reaches the heap limit within this long at the current pace is a leak. */
  leakHorizonMs: ms(60_000, 365 * 86_400_000),
  /** Sentinel: an investigation keeps RSS under heap + this much when --max-worker-memory is not set. */
  leakHeadroomMb: int(16, 1_000_000),
  /** Sentinel: the heap diff of a report runs at most this long; the report keeps its sampled evidence either way. */
  leakDiffTimeoutMs: ms(1_000, 86_400_000),
}).refine((c) => c.redisCluster || !c.redisUrl.includes(','), { path: ['redisUrl'], message: 'lists several Redis nodes: add --redis-cluster (SPIDERD_REDIS_CLUSTER=1) for a Redis Cluster, or give one URL' });

export type Config = Readonly<z.infer<typeof schema>>;
export type ConfigKey = keyof Config;

export const DEFAULTS: { readonly [K in ConfigKey]?: unknown } = {
  redisUrl: 'redis://127.0.0.1:6379',
  redisCluster: false,
  // 16: even over up to 16 masters and cheap to consume (one BullMQ worker per shard per
  // process); see docs/redis-cluster.md.
  queueShards: 16,
  databaseUrl: 'postgresql://postgres@127.0.0.1:5432/spiderd',
  prefix: 'spiderd',
  logLevel: 'info',
  daemonId: `${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}-${process.pid}`,
  workers: os.availableParallelism(),
  concurrency: 'auto',
  maxConcurrency: 128,
  graceMs: 30_000,
  heartbeatMs: 5_000,
  restartBaseMs: 1_000,
  restartMaxMs: 60_000,
  crashLoopLimit: 5,
  crashWindowMs: 60_000,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 30_000,
  maxBodyBytes: 5 * 1024 * 1024,
  maxDecompressedBytes: 20 * 1024 * 1024,
  maxRedirects: 5,
  fetchDeadlineMs: 60_000,
  blockedLimitMs: 30_000,
  reconcileIntervalMs: 300_000,
  recrawlTickMs: 10_000,
  jobLockMs: 30_000,
  attempts: 4,
  retryBaseMs: 2_000,
  batchSize: 200,
  flushMs: 100,
  sampleIntervalMs: 5_000,
  snapshotDir: path.join(os.tmpdir(), 'spiderd-snapshots'),
  // Under 2,048 on purpose: from 2,048 MB up, V8 (Node 20-24) lets the old generation grow to 4x
  // what the last major GC left before it collects again; at 1,900, about 1.9x. That keeps a
  // crawler's RSS lower at no cost in throughput (docs/benchmarks.md).
  heapCapMb: 1900,
  maxWorkerMemoryMb: 0,
  maxJobsPerWorker: 0,
  recycleOnLeak: false,
  leakSentinel: true,
  leakWarmupJobs: 800,
  leakThresholdMbPer1kJobs: 5,
  leakSnapshotGapJobs: 200,
  snapshotMaxFiles: 20,
  snapshotMaxBytes: 4 * 1024 ** 3,
  snapshotMinIntervalMs: 600_000,
  allowPrivateNetworks: false,
  robotsAgent: 'spiderd',
  userAgent: `spiderd/${VERSION}`,
  handlerDirs: [],
  leakPointEveryJobs: 200,
  leakGcBudgetPercent: 1,
  leakMaxPauseMs: 15_000,
  leakSlowWarmupJobs: 15_000,
  leakSlowWindowJobs: 12_000,
  leakHorizonMs: 7 * 86_400_000,
  leakHeadroomMb: 300,
  leakDiffTimeoutMs: 600_000,
};

/** Environment variable for each key (SPIDERD_* unless a conventional name exists). */
export const ENV_NAMES: { [K in ConfigKey]: string } = {
  redisUrl: 'REDIS_URL',
  redisCluster: 'SPIDERD_REDIS_CLUSTER',
  queueShards: 'SPIDERD_QUEUE_SHARDS',
  databaseUrl: 'DATABASE_URL',
  prefix: 'SPIDERD_PREFIX',
  logLevel: 'SPIDERD_LOG_LEVEL',
  daemonId: 'SPIDERD_DAEMON_ID',
  workers: 'SPIDERD_WORKERS',
  concurrency: 'SPIDERD_CONCURRENCY',
  maxConcurrency: 'SPIDERD_MAX_CONCURRENCY',
  graceMs: 'SPIDERD_GRACE_MS',
  heartbeatMs: 'SPIDERD_HEARTBEAT_MS',
  restartBaseMs: 'SPIDERD_RESTART_BASE_MS',
  restartMaxMs: 'SPIDERD_RESTART_MAX_MS',
  crashLoopLimit: 'SPIDERD_CRASH_LOOP_LIMIT',
  crashWindowMs: 'SPIDERD_CRASH_WINDOW_MS',
  connectTimeoutMs: 'SPIDERD_CONNECT_TIMEOUT_MS',
  headersTimeoutMs: 'SPIDERD_HEADERS_TIMEOUT_MS',
  bodyTimeoutMs: 'SPIDERD_BODY_TIMEOUT_MS',
  maxBodyBytes: 'SPIDERD_MAX_BODY_BYTES',
  maxDecompressedBytes: 'SPIDERD_MAX_DECOMPRESSED_BYTES',
  maxRedirects: 'SPIDERD_MAX_REDIRECTS',
  fetchDeadlineMs: 'SPIDERD_FETCH_DEADLINE_MS',
  blockedLimitMs: 'SPIDERD_BLOCKED_LIMIT_MS',
  reconcileIntervalMs: 'SPIDERD_RECONCILE_INTERVAL_MS',
  recrawlTickMs: 'SPIDERD_RECRAWL_TICK_MS',
  jobLockMs: 'SPIDERD_JOB_LOCK_MS',
  attempts: 'SPIDERD_ATTEMPTS',
  retryBaseMs: 'SPIDERD_RETRY_BASE_MS',
  batchSize: 'SPIDERD_BATCH_SIZE',
  flushMs: 'SPIDERD_FLUSH_MS',
  sampleIntervalMs: 'SPIDERD_SAMPLE_INTERVAL_MS',
  snapshotDir: 'SPIDERD_SNAPSHOT_DIR',
  heapCapMb: 'SPIDERD_HEAP_CAP_MB',
  maxWorkerMemoryMb: 'SPIDERD_MAX_WORKER_MEMORY_MB',
  maxJobsPerWorker: 'SPIDERD_MAX_JOBS_PER_WORKER',
  recycleOnLeak: 'SPIDERD_RECYCLE_ON_LEAK',
  leakSentinel: 'SPIDERD_LEAK_SENTINEL',
  leakWarmupJobs: 'SPIDERD_LEAK_WARMUP_JOBS',
  leakThresholdMbPer1kJobs: 'SPIDERD_LEAK_THRESHOLD_MB_PER_1K_JOBS',
  leakSnapshotGapJobs: 'SPIDERD_LEAK_SNAPSHOT_GAP_JOBS',
  snapshotMaxFiles: 'SPIDERD_SNAPSHOT_MAX_FILES',
  snapshotMaxBytes: 'SPIDERD_SNAPSHOT_MAX_BYTES',
  snapshotMinIntervalMs: 'SPIDERD_SNAPSHOT_MIN_INTERVAL_MS',
  handler: 'SPIDERD_HANDLER',
  allowPrivateNetworks: 'SPIDERD_ALLOW_PRIVATE_NETWORKS',
  robotsAgent: 'SPIDERD_ROBOTS_AGENT',
  userAgent: 'SPIDERD_USER_AGENT',
  handlerDirs: 'SPIDERD_HANDLER_DIR',
  leakPointEveryJobs: 'SPIDERD_LEAK_POINT_EVERY_JOBS',
  leakGcBudgetPercent: 'SPIDERD_LEAK_GC_BUDGET_PERCENT',
  leakMaxPauseMs: 'SPIDERD_LEAK_MAX_PAUSE_MS',
  leakSlowWarmupJobs: 'SPIDERD_LEAK_SLOW_WARMUP_JOBS',
  leakSlowWindowJobs: 'SPIDERD_LEAK_SLOW_WINDOW_JOBS',
  leakHorizonMs: 'SPIDERD_LEAK_HORIZON_MS',
  leakHeadroomMb: 'SPIDERD_LEAK_HEADROOM_MB',
  leakDiffTimeoutMs: 'SPIDERD_LEAK_DIFF_TIMEOUT_MS',
};

/** The command-line flag for each key that has one (config-flags.ts defines them for commander). */
export const FLAG_NAMES = {
  redisUrl: '--redis-url',
  redisCluster: '--redis-cluster',
  queueShards: '--queue-shards',
  databaseUrl: '--database-url',
  prefix: '--prefix',
  logLevel: '--log-level',
  daemonId: '--daemon-id',
  workers: '--workers',
  concurrency: '--concurrency',
  maxConcurrency: '--max-concurrency',
  fetchDeadlineMs: '--fetch-deadline',
  blockedLimitMs: '--blocked-limit',
  graceMs: '--grace',
  snapshotDir: '--snapshot-dir',
  heapCapMb: '--heap-cap',
  maxWorkerMemoryMb: '--max-worker-memory',
  maxJobsPerWorker: '--max-jobs-per-worker',
  recycleOnLeak: '--recycle-on-leak',
  handler: '--handler',
  sampleIntervalMs: '--sample-interval',
  allowPrivateNetworks: '--allow-private-networks',
  robotsAgent: '--robots-agent',
  userAgent: '--user-agent',
  handlerDirs: '--handler-dir',
} as const satisfies Partial<Record<ConfigKey, string>>;

export type ConfigFlags = { [K in ConfigKey]?: unknown };

/**
 * Builds the frozen config. `flags` are the parsed CLI flags already mapped to config
 * keys (undefined = not given). Throws SPIDERD_CONFIG_INVALID listing every problem,
 * each naming the flag or variable it came from.
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const merged: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const key of Object.keys(ENV_NAMES) as ConfigKey[]) {
    const envName = ENV_NAMES[key];
    if (flags[key] !== undefined) {
      merged[key] = flags[key];
      source[key] = (FLAG_NAMES as Partial<Record<ConfigKey, string>>)[key] ?? `flag ${key}`;
    } else if (env[envName] !== undefined && env[envName] !== '') {
      merged[key] = env[envName];
      source[key] = envName;
    } else if (DEFAULTS[key] !== undefined) {
      merged[key] = DEFAULTS[key];
      source[key] = `default for ${key}`;
    }
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${problemText(String(issue.path[0] ?? ''), source, merged, issue.message)}`);
    throw new SpiderdError('SPIDERD_CONFIG_INVALID', `invalid configuration:\n${[...new Set(problems)].join('\n')}`);
  }
  return Object.freeze(parsed.data);
}

/**
 * One problem in plain words, naming the flag or variable: `--concurrency: expected a whole
 * number 1-1000, or auto; got "many"`. Values of keys without a description (URLs, names with
 * their own rule) are not echoed: they may carry a password.
 */
function problemText(key: string, source: Record<string, string>, merged: Record<string, unknown>, zodMessage: string): string {
  const from = source[key] ?? key;
  const description = (schema.shape as Record<string, z.ZodType>)[key]?.description;
  if (description === undefined) return `${from}: ${zodMessage}`;
  const bare = key.endsWith('Ms') ? ` (a bare number is ${from.startsWith('--') ? 'seconds' : 'milliseconds'})` : '';
  return `${from}: expected ${description}${bare}; got ${JSON.stringify(merged[key])}`;
}

/** A key's default as --help shows it, with its unit: `30s`, `1900 MB`, `one per CPU (2 here)`, `off`. */
export function describeDefault(key: ConfigKey): string {
  const value = DEFAULTS[key];
  if (key === 'workers') return `one per CPU (${String(value)} here)`;
  if (key === 'daemonId') return 'host-pid';
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return 'none';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number' && key.endsWith('Ms')) return formatDuration(value);
  if (typeof value === 'number' && key.endsWith('Mb')) return value === 0 ? '0 (off)' : `${value} MB`;
  if (value === 0) return '0 (off)';
  return String(value);
}

/** Re-validates a config received over IPC from the supervisor (children read no environment). */
export function configFromMessage(raw: unknown): Config {
  return Object.freeze(schema.parse(raw));
}
