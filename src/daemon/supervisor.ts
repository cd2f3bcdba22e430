/**
 * The daemon: opens PostgreSQL (migrated) and Redis, forks config.workers crawler processes
 * (slots w1..wN), keeps them running (recycle, crash backoff, crash-loop cap), writes the
 * heartbeat and memory history, listens for control requests, and shuts down cleanly on the
 * first SIGTERM/SIGINT (forced on the second). Resolves with the exit code: 0 after a drain,
 * 1 when every slot failed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../shared/config.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { ensureSnapshotDir } from '../shared/heap/snapshot-dir.js';
import { keysFor } from '../shared/keys.js';
import { onSignals, Resources } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { appendSample } from '../shared/mem/history.js';
import { startSampler } from '../shared/mem/sampler.js';
import type { MemSample } from '../shared/mem-sample.js';
import type { ProcessRecord } from '../shared/presence.js';
import { redactUrl } from '../shared/redact.js';
import { requeueFromDb } from '../shared/requeue.js';
import { ChildHandle } from './child-handle.js';
import { startControlChannel, type ControlHost } from './control-channel.js';
import { Heartbeat } from './heartbeat.js';
import { claimMissingEpochs, reportMissingEpoch } from './redis-epoch.js';
import { startReconcile } from './reconcile.js';
import { LeakDiffs } from './leak-diffs.js';
import { startRecrawlScheduler } from './recrawl-scheduler.js';
import { RequeueRunner } from './requeue-runner.js';
import { openServices } from './services.js';
import { drainSlots, killAll } from './shutdown.js';
import type { SlotControl } from './slot-control.js';
import { withTimeout } from './with-timeout.js';

export const DEFAULT_CRAWLER_ENTRY = fileURLToPath(new URL('../workers/main.js', import.meta.url));
const CLEANUP_TIMEOUT_MS = 10_000;
/** A daemon reconciles once this long after it starts (reconcile.ts), whatever the period. */
const STARTUP_RECONCILE_MS = 60_000;

export interface SupervisorOptions {
  /** The crawler process entry; only tests point it elsewhere (a misbehaving fixture). */
  crawlerEntry?: string;
}

/**
 * The young generation's semi-space cap, MB: Node 20's and 22's default. Node 24 sizes it from
 * the heap cap (far larger at 1,900 MB), which put a crawler's RSS at about 305 MB instead of
 * about 220 on the bench, with no throughput gained (docs/benchmarks.md).
 */
export const CRAWLER_SEMI_SPACE_MB = 16;

/** Node flags of every crawler process: heap cap, young generation, and a heap snapshot when it nears the cap. */
export function crawlerExecArgv(config: Pick<Config, 'heapCapMb' | 'snapshotDir'>): string[] {
  const cap = config.heapCapMb > 0 ? [`--max-old-space-size=${config.heapCapMb}`] : [];
  return [...cap, `--max-semi-space-size=${CRAWLER_SEMI_SPACE_MB}`, '--heapsnapshot-near-heap-limit=1', `--diagnostic-dir=${path.resolve(config.snapshotDir)}`];
}

/** glibc's mmap threshold for crawler processes, unless the operator set one (bytes). */
export const CRAWLER_MMAP_THRESHOLD = '131072';

/**
 * The environment of every crawler process: the daemon's, with a fixed glibc mmap threshold.
 * glibc raises its threshold after each large block is freed (up to 32 MB), so a heap
 * snapshot's buffers end up inside malloc's heap and their pages stay in RSS after it; with a
 * fixed 128 KB threshold they are mmapped and given back when freed (snapshot A left about
 * 35 MB less RSS behind, docs/leak-sentinel.md). Other C libraries ignore the variable.
 */
export function crawlerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? CRAWLER_MMAP_THRESHOLD };
}

export async function runSupervisor(config: Config, options: SupervisorOptions = {}): Promise<number> {
  const startedAt = Date.now();
  const log = createLogger(config, 'supervisor', { daemonId: config.daemonId });
  log.info({ config, redis: redactUrl(config.redisUrl), database: redactUrl(config.databaseUrl) }, 'spiderd daemon starting');
  const resources = new Resources(log);
  const slots: ChildHandle[] = [];
  /** Reach a slot by workerId (the control channel's way in). */
  const slotControl: SlotControl = {
    list: () => slots.map((s) => s.summary()),
    send: (workerId, msg, timeoutMs) => {
      const slot = slots.find((s) => s.workerId === workerId);
      if (!slot) return Promise.reject(new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `no crawler slot ${workerId} in daemon ${config.daemonId}`));
      return slot.sendControl(msg, timeoutMs);
    },
  };
  const opened = (async () => {
    const services = await openServices(config, resources, log);
    await ensureSnapshotDir(config.snapshotDir); // 0700, owned by this user, not a symlink: snapshots hold every secret a process saw
    const host: ControlHost = { config, daemonId: config.daemonId, log, slots: slotControl.list, sendControl: (id, msg) => slotControl.send(id, msg) };
    resources.add('control channel', await startControlChannel(host), (c) => c.close());
    return services;
  })();
  const { redis, db, openQueue } = await opened.catch(async (err: unknown) => {
    await resources.closeAll();
    throw err;
  });
  const keys = keysFor(config);

  const requeue = new RequeueRunner(() => requeueFromDb(db, redis, openQueue, { attempts: config.attempts, keys, onlyMissing: true }), log);
  const reconcile = startReconcile({ redis, keys, daemonId: config.daemonId, intervalMs: config.reconcileIntervalMs, startupAfterMs: Math.min(STARTUP_RECONCILE_MS, config.reconcileIntervalMs), log, request: (reason) => requeue.request(reason, 0) });
  const recrawl = startRecrawlScheduler({ db, openQueue, attempts: config.attempts, tickMs: config.recrawlTickMs, log });
  const checkEpoch = () =>
    claimMissingEpochs(redis, keys, config.daemonId)
      .then((missing) => {
        if (missing.length === 0) return;
        requeue.request('redis-epoch-missing', 0);
        return reportMissingEpoch(db, log, keys.layout.cluster ? { shards: missing } : {});
      })
      .catch((err: unknown) => log.warn({ err: coerceError(err) }, 'checking the Redis epoch failed'));
  await checkEpoch();
  const epochTimer = setInterval(() => void checkEpoch(), config.heartbeatMs);

  const saveSample = (workerId: string, sample: MemSample) =>
    void appendSample(redis, keys, config.daemonId, workerId, sample).catch((err: unknown) => log.debug({ err: coerceError(err), workerId }, 'storing a memory sample failed'));
  let ownSample: MemSample | null = null;
  const sampler = startSampler(config.sampleIntervalMs, () => 0, (s) => {
    ownSample = s;
    saveSample('supervisor', s);
  });
  ownSample = sampler.sample();

  const leakDiffs = new LeakDiffs(config, log);
  let finishing: Promise<void> | null = null;
  let finish: (code: number) => void = () => undefined;
  for (let i = 1; i <= config.workers; i++) {
    slots.push(
      new ChildHandle({
        workerId: `w${i}`,
        entry: options.crawlerEntry ?? DEFAULT_CRAWLER_ENTRY,
        execArgv: crawlerExecArgv(config),
        env: crawlerEnv(),
        config,
        log,
        onSample: saveSample,
        onLeakDiff: (job) => leakDiffs.start(job),
        onAbnormalExit: (workerId) => requeue.request(`crawler process ${workerId} exited abnormally`),
        onFailed: () => {
          if (!slots.every((s) => s.failed)) return;
          log.error({ code: 'SPIDERD_WORKER_CRASH_LOOP' }, 'every crawler slot failed; the daemon exits');
          finish(1);
        },
      }),
    );
  }
  process.on('exit', () => {
    killAll(slots);
    leakDiffs.killAll();
  });

  const own = (): ProcessRecord => ({
    workerId: 'supervisor',
    pid: process.pid,
    startedAt,
    jobsDone: 0,
    restarts: 0,
    state: finishing ? 'draining' : 'running',
    lastSample: ownSample,
  });
  const heartbeat = new Heartbeat(redis, keys, config, { processes: () => [own(), ...slots.map((s) => s.record())] }, log);
  const bounded = (what: string, work: Promise<unknown>) =>
    withTimeout(work, CLEANUP_TIMEOUT_MS, `${what}: no end after ${CLEANUP_TIMEOUT_MS} ms`).catch((err: unknown) => log.warn({ err: coerceError(err) }, `${what} failed`));

  return new Promise<number>((resolve) => {
    finish = (code) => {
      finishing ??= (async () => {
        clearInterval(epochTimer);
        reconcile.stop();
        await bounded('stopping the recrawl scheduler', recrawl.stop());
        // Running leak diffs get the same grace as the crawler processes' drain, not a second one.
        await Promise.all([drainSlots(slots, config.graceMs, log), leakDiffs.stop(config.graceMs)]);
        sampler.stop();
        await bounded('requeue from PostgreSQL', requeue.flushAndStop());
        await bounded('removing the heartbeat', heartbeat.stopAndRemove());
        await bounded('closing connections', resources.closeAll());
        log.info({ exitCode: code }, 'spiderd daemon stopped');
      })().then(() => resolve(code));
    };
    onSignals(
      (signal) => {
        log.info({ signal, graceMs: config.graceMs }, 'shutting down: draining crawler processes (send the signal again to force)');
        finish(0);
      },
      (signal) => {
        const killed = killAll(slots);
        leakDiffs.killAll();
        log.error({ code: 'SPIDERD_SHUTDOWN_FORCED', signal, killed }, 'second signal: killed crawler processes, exiting now');
        process.exit(130);
      },
    );
    for (const slot of slots) slot.start();
    void heartbeat.start();
  });
}
