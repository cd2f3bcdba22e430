/**
 * A crawler process: the entry the supervisor forks (dist/src/workers/main.js, serialization
 * 'advanced'). It waits for {type:'init'}, opens its runtime, runs the page worker and reports
 * memory samples. It drains (stop taking jobs, finish in-flight ones, flush the store, close,
 * exit 0) on 'shutdown', SIGTERM/SIGINT, when the supervisor goes away, and when it recycles
 * itself (max jobs, max memory). A bug (uncaught error) is reported as 'fatal' and exits 1.
 */
import { configFromMessage, type Config } from '../shared/config.js';
import { SpiderdError, coerceError, errorCode } from '../shared/errors.js';
import { ALIVE_INTERVAL_MS, assertNever, isMessage, type ChildMessage, type DrainReason, type ParentMessage } from '../shared/ipc.js';
import { onSignals, Resources } from '../shared/lifecycle.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { startSampler } from '../shared/mem/sampler.js';
import type { MemSample } from '../shared/mem-sample.js';
import { handleControl, type ControlContext } from './control.js';
import { createDrain, type Drain } from './drain.js';
import { wireMemory, type MemoryWiring } from './memory/wire-memory.js';
import { openRuntime, type Runtime } from './runtime.js';

interface Running {
  config: Config;
  log: Logger;
  runtime: Runtime;
  drain: Drain;
  control: ControlContext;
}

let initialized = false;
let running: Running | null = null;
let log: Logger | null = null;
/** A drain asked for before the runtime was up; run once it is. */
let pendingDrain: { reason: DrainReason; graceMs: number } | null = null;
let draining = false;

function send(msg: ChildMessage): void {
  if (!process.connected || !process.send) return;
  process.send(msg, undefined, {}, (err) => {
    if (err) log?.debug({ err, type: msg.type }, 'message to the supervisor not delivered');
  });
}

function onMessage(raw: unknown): void {
  try {
    if (!isMessage<ParentMessage>(raw)) throw new Error('not a message object');
    handleMessage(raw);
  } catch (err) {
    log?.warn({ err: coerceError(err) }, 'ignored a malformed message from the supervisor');
  }
}

function handleMessage(msg: ParentMessage): void {
  switch (msg.type) {
    case 'init':
      if (initialized) {
        log?.warn('duplicate init ignored');
        return;
      }
      initialized = true;
      start(msg).catch(fatal);
      return;
    case 'shutdown':
      drainAndExit('shutdown', msg.graceMs);
      return;
    case 'control':
      if (!running) {
        send({ type: 'control-result', requestId: msg.requestId, ok: false, code: 'SPIDERD_CONTROL_INVALID', message: 'the crawler process is not running yet' });
        return;
      }
      handleControl(msg, running.control).then(send, (err: unknown) => {
        const e = coerceError(err);
        send({ type: 'control-result', requestId: msg.requestId, ok: false, code: errorCode(err), message: e.message });
      });
      return;
    default:
      assertNever(msg, 'supervisor message');
  }
}

async function start(msg: Extract<ParentMessage, { type: 'init' }>): Promise<void> {
  let config: Config;
  try {
    config = configFromMessage(msg.config);
  } catch (err) {
    throw new SpiderdError('SPIDERD_CONFIG_INVALID', `the supervisor sent an invalid config: ${coerceError(err).message}`, { cause: err });
  }
  const { daemonId, workerId } = msg;
  log = createLogger(config, 'crawler', { daemonId, workerId });
  const resources = new Resources(log);
  let memory: MemoryWiring | null = null;
  const runtime = openRuntime(config, workerId, log, resources, (jobsDone) => {
    memory?.onJobDone(jobsDone);
    if (config.maxJobsPerWorker > 0 && jobsDone >= config.maxJobsPerWorker) {
      recycle('max-jobs', `${jobsDone} jobs done (limit ${config.maxJobsPerWorker})`);
    }
  });
  const { worker } = runtime;
  // The supervisor's watchdog: these stop arriving while the event loop is blocked.
  const alive = setInterval(() => send({ type: 'alive' }), ALIVE_INTERVAL_MS);
  alive.unref();
  resources.add('alive ticks', alive, (t) => clearInterval(t));
  const drain = createDrain({ worker, resources, log });
  const control: ControlContext = {
    config,
    daemonId,
    workerId,
    jobsDone: runtime.jobsDone,
    pauseJobs: () => worker.pause(),
    resumeJobs: () => {
      if (!draining) void worker.resume();
    },
    announceBlocking: (expectedMs, what) => send({ type: 'blocking', expectedMs, what }),
  };
  const wired = wireMemory({ ...control, log, sql: runtime.sql, recycle, handOffDiff: (job) => send({ type: 'leak-diff', job }) });
  memory = wired;
  if (wired.sentinel) resources.add('leak sentinel', wired.sentinel, (s) => s.close());
  const sampler = startSampler(config.sampleIntervalMs, runtime.jobsDone, (sample) => onSample(wired, sample));
  resources.add('memory sampler', sampler, (s) => s.stop());
  running = { config, log, runtime, drain, control };
  if (pendingDrain) {
    drainAndExit(pendingDrain.reason, pendingDrain.graceMs);
    return;
  }
  // The watchdog starts watching at a process's first 'alive'; sent now, before the first job, a
  // job that blocks the loop at once (a replacement process taking the very page that blocked
  // its predecessor) is still seen and killed, not left spinning unwatched.
  send({ type: 'alive' });
  worker.run().catch((err: unknown) => (draining ? log?.warn({ err: coerceError(err) }, 'queue worker stopped with an error while draining') : fatal(err)));
  await worker.waitUntilReady();
  log.info({ concurrency: config.concurrency, pid: process.pid }, 'crawler process ready');
  send({ type: 'ready' });
}

function onSample(memory: MemoryWiring, sample: MemSample): void {
  send({ type: 'stats', sample: memory.onSample(sample) });
}

/** The process replaces itself: the supervisor is told why, and this one drains and exits 0. */
function recycle(reason: DrainReason, detail: string): void {
  if (draining || !running) return;
  running.log.info({ reason, detail }, 'recycling this crawler process');
  send({ type: 'draining', reason, detail, jobsDone: running.runtime.jobsDone() });
  drainAndExit(reason, running.config.graceMs);
}

function drainAndExit(reason: DrainReason, graceMs: number): void {
  if (!running) {
    if (!initialized) process.exit(0); // nothing opened yet
    pendingDrain ??= { reason, graceMs };
    return;
  }
  if (draining) return;
  draining = true;
  running.drain(reason, graceMs).then(
    () => process.exit(0),
    (err: unknown) => fatal(err),
  );
}

function fatal(thrown: unknown): void {
  const err = coerceError(thrown);
  const code = errorCode(thrown);
  if (log) log.fatal({ err, code }, 'crawler process failed');
  else process.stderr.write(`spiderd crawler: ${code}: ${err.stack ?? err.message}\n`);
  const exit = () => process.exit(1);
  if (process.connected && process.send) {
    process.send({ type: 'fatal', code, message: err.message } satisfies ChildMessage, undefined, {}, exit);
    setTimeout(exit, 1_000).unref();
  } else {
    exit();
  }
}

process.on('message', onMessage);
process.on('disconnect', () => drainAndExit('parent-gone', running?.config.graceMs ?? 0));
process.on('uncaughtException', fatal);
process.on('unhandledRejection', (reason) => {
  // While draining, connections are being closed on purpose; a late rejection is not a bug worth exit 1.
  if (draining) log?.warn({ err: coerceError(reason) }, 'unhandled rejection while draining');
  else fatal(reason);
});
onSignals(
  () => drainAndExit('shutdown', running?.config.graceMs ?? 0),
  (signal) => {
    log?.warn({ signal, code: 'SPIDERD_SHUTDOWN_FORCED' }, 'second signal: exiting without finishing in-flight jobs');
    process.exit(1);
  },
);
if (!process.send) fatal(new Error('spiderd crawler processes are started by the supervisor (spiderd start), not directly'));
