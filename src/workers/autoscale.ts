/**
 * Concurrency that fits the machine (the idea of Crawlee's autoscaled pool): once a second the
 * crawler process looks at its fetch slots, its event-loop delay, the machine's idle CPU and its
 * memory, and moves the slot limit. It grows while pages wait for slots and the machine has
 * CPU to spare; it shrinks when the event loop lags or memory runs high; otherwise it holds.
 * `decide` is pure; `startAutoscale` gathers the signals.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import v8 from 'node:v8';
import type { Logger } from '../shared/logger.js';
import type { Slots } from './slots.js';

export interface Signals {
  /** Average slots in use, and pages waiting for a slot, over the interval. */
  busy: number;
  waiting: number;
  /** Event-loop delay over the interval, ms. */
  loopMeanMs: number;
  /** Fraction of the machine's CPU time that was idle over the interval (0..1). */
  machineIdle: number;
  /** Heap used / heap limit, and rss / the soft memory limit (0 when there is none). */
  heapFraction: number;
  rssFraction: number;
}

export interface AutoscaleOptions {
  min: number;
  max: number;
}

/** Event-loop delay above which the process is behind on its own work. */
export const LOOP_OVERLOADED_MS = 50;
/** Below this, there is room to take more pages. */
const LOOP_OK_MS = 20;
/** Idle CPU the machine keeps before the process grows further (Redis, PostgreSQL and the other crawlers need some). */
const IDLE_TO_GROW = 0.08;
const MEMORY_HIGH = 0.7;

export function decide(s: Signals, limit: number, o: AutoscaleOptions): number {
  const memoryHigh = s.heapFraction > MEMORY_HIGH || s.rssFraction > MEMORY_HIGH;
  let next = limit;
  if (memoryHigh || s.loopMeanMs > LOOP_OVERLOADED_MS) next = Math.floor(limit * 0.85);
  else if ((s.waiting >= 1 || s.busy >= limit * 0.9) && s.machineIdle > IDLE_TO_GROW && s.loopMeanMs < LOOP_OK_MS) next = Math.ceil(limit * 1.15);
  return Math.min(o.max, Math.max(o.min, next));
}

export interface Autoscale {
  stop(): void;
}

export function startAutoscale(deps: { slots: Slots; options: AutoscaleOptions; memoryLimitBytes: number; onLimit(limit: number): void; log: Logger; intervalMs?: number }): Autoscale {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let cpu = machineCpu();
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const timer = setInterval(() => {
    const nowCpu = machineCpu();
    const total = nowCpu.total - cpu.total;
    const machineIdle = total > 0 ? (nowCpu.idle - cpu.idle) / total : 1;
    cpu = nowCpu;
    const { busy, waiting } = deps.slots.take();
    const mem = process.memoryUsage();
    const signals: Signals = {
      busy,
      waiting,
      loopMeanMs: Number.isFinite(loop.mean) ? loop.mean / 1e6 : 0,
      machineIdle,
      heapFraction: mem.heapUsed / heapLimit,
      rssFraction: deps.memoryLimitBytes > 0 ? mem.rss / deps.memoryLimitBytes : 0,
    };
    loop.reset();
    const before = deps.slots.limit;
    const after = decide(signals, before, deps.options);
    if (after !== before) {
      deps.slots.setLimit(after);
      deps.onLimit(after);
      deps.log.debug({ from: before, to: after, ...signals }, 'autoscale: fetch concurrency changed');
    }
  }, deps.intervalMs ?? 1_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      loop.disable();
    },
  };
}

function machineCpu(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}
