/**
 * Command-line flags for config keys: every command that needs config declares the keys it
 * uses, and the flags are mapped back to ConfigFlags for loadConfig (flags > env > defaults).
 */
import { Option, type Command } from 'commander';
import type { ConfigFlags, ConfigKey } from './config.js';
import { ENV_NAMES, FLAG_NAMES, describeDefault } from './config.js';
import { parseDuration } from './duration.js';

interface FlagSpec {
  flag: string;
  help: string;
  /** Converts the flag's text to the config value (e.g. seconds to ms). */
  map?: (raw: string) => unknown;
  /** The flag may be given several times; its values are collected into an array. */
  repeatable?: boolean;
}

/** A duration flag: `30s`, `500ms`, `5m`; a bare number is seconds. Text that is no duration is passed on for loadConfig to report. */
const seconds = (raw: string): unknown => parseDuration(raw, 's') ?? raw;
const DURATION_HELP = '; a duration (30s, 500ms, 5m), a bare number is seconds';

export const FLAGS: Partial<Record<ConfigKey, FlagSpec>> = {
  redisUrl: { flag: `${FLAG_NAMES.redisUrl} <url>`, help: 'Redis URL (with --redis-cluster: one or more seed nodes, comma-separated)' },
  redisCluster: { flag: `${FLAG_NAMES.redisCluster}`, help: 'Redis is a Redis Cluster: the page queue is sharded by host' },
  queueShards: { flag: `${FLAG_NAMES.queueShards} <n>`, help: 'page-queue shards on a Redis Cluster (default 16; the same on every daemon and CLI)' },
  databaseUrl: { flag: `${FLAG_NAMES.databaseUrl} <url>`, help: 'PostgreSQL URL' },
  prefix: { flag: `${FLAG_NAMES.prefix} <prefix>`, help: 'Redis key prefix, so several deployments can share one Redis' },
  logLevel: { flag: `${FLAG_NAMES.logLevel} <level>`, help: 'fatal|error|warn|info|debug|trace|silent' },
  daemonId: { flag: `${FLAG_NAMES.daemonId} <id>`, help: "this daemon's id" },
  workers: { flag: `${FLAG_NAMES.workers} <n>`, help: 'crawler processes' },
  concurrency: { flag: `${FLAG_NAMES.concurrency} <n>`, help: 'pages fetched at once per crawler process (1-1000), or auto (adapts to CPU, event-loop delay and memory)' },
  maxConcurrency: { flag: `${FLAG_NAMES.maxConcurrency} <n>`, help: 'the most pages in flight per crawler process that --concurrency auto may reach' },
  fetchDeadlineMs: { flag: `${FLAG_NAMES.fetchDeadlineMs} <seconds>`, help: 'total time one fetch may take (connect + headers + body), robots.txt too' + DURATION_HELP, map: seconds },
  blockedLimitMs: { flag: `${FLAG_NAMES.blockedLimitMs} <seconds>`, help: 'a crawler process whose event loop is blocked this long is killed and replaced' + DURATION_HELP, map: seconds },
  graceMs: { flag: `${FLAG_NAMES.graceMs} <seconds>`, help: 'how long in-flight pages may take to finish at shutdown' + DURATION_HELP, map: seconds },
  snapshotDir: { flag: `${FLAG_NAMES.snapshotDir} <dir>`, help: 'where heap snapshots and profiles are written' },
  heapCapMb: { flag: `${FLAG_NAMES.heapCapMb} <MB>`, help: 'V8 heap cap of each crawler process (--max-old-space-size); 0 = Node default' },
  maxWorkerMemoryMb: { flag: `${FLAG_NAMES.maxWorkerMemoryMb} <MB>`, help: 'soft RSS limit: a crawler process over it is recycled (0 = off)' },
  maxJobsPerWorker: { flag: `${FLAG_NAMES.maxJobsPerWorker} <n>`, help: 'recycle a crawler process after this many pages (0 = off)' },
  recycleOnLeak: { flag: `${FLAG_NAMES.recycleOnLeak}`, help: 'recycle a crawler process once the leak sentinel has reported it' },
  handler: { flag: `${FLAG_NAMES.handler} <module>`, help: 'extraction handler module for crawls that name none' },
  sampleIntervalMs: { flag: `${FLAG_NAMES.sampleIntervalMs} <seconds>`, help: 'memory sampling interval' + DURATION_HELP, map: seconds },
  allowPrivateNetworks: {
    flag: `${FLAG_NAMES.allowPrivateNetworks}`,
    help: 'let crawls reach loopback, private, link-local and other non-public addresses (off: such URLs fail with SPIDERD_ADDRESS_BLOCKED)',
  },
  robotsAgent: { flag: `${FLAG_NAMES.robotsAgent} <token>`, help: 'product token matched against robots.txt user-agent lines' },
  userAgent: { flag: `${FLAG_NAMES.userAgent} <ua>`, help: 'User-Agent header for crawls that set none; include a contact, e.g. "spiderd (+mailto:ops@example.com)"' },
  handlerDirs: { flag: `${FLAG_NAMES.handlerDirs} <dir>`, help: "directory whose modules a crawl's --handler may name (repeatable)", repeatable: true },
};

export function addConfigFlags(command: Command, keys: readonly ConfigKey[]): Command {
  for (const key of keys) {
    const spec = FLAGS[key];
    if (!spec) throw new Error(`no flag defined for config key ${key}`);
    // The default is written into the help, not set with Option.default: a commander default
    // would count as a given flag and beat the environment variable.
    const env = spec.map === seconds ? `${ENV_NAMES[key]}, where a bare number is milliseconds` : ENV_NAMES[key];
    const option = new Option(spec.flag, `${spec.help} (default: ${describeDefault(key)}) [env ${env}]`);
    if (spec.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    command.addOption(option);
  }
  return command;
}

/** Picks the config flags out of commander's parsed options. */
export function configFlagsFrom(options: Record<string, unknown>, keys: readonly ConfigKey[]): ConfigFlags {
  const flags: ConfigFlags = {};
  for (const key of keys) {
    const spec = FLAGS[key];
    if (!spec) continue;
    const attr = camel(spec.flag.split(' ')[0]!.replace(/^--/, ''));
    const raw = options[attr];
    if (raw === undefined) continue;
    flags[key] = typeof raw === 'string' && spec.map ? spec.map(raw) : raw;
  }
  return flags;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The keys every command that talks to Redis and PostgreSQL accepts. */
export const CONNECTION_KEYS = ['redisUrl', 'redisCluster', 'queueShards', 'databaseUrl', 'prefix', 'logLevel'] as const satisfies readonly ConfigKey[];
