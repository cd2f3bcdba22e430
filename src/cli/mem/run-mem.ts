/**
 * `spiderd mem`: prints the memory table (or JSON), writes the chart, and with --watch on a
 * terminal redraws in place every sample interval until Ctrl-C.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../shared/config.js';
import { checkDatabase } from '../../shared/db/check-database.js';
import { createDb, type Db } from '../../shared/db/client.js';
import { wrapError } from '../../shared/errors.js';
import { keysFor } from '../../shared/keys.js';
import { redactUrl } from '../../shared/redact.js';
import { createRedis } from '../../shared/redis.js';
import { collectMem, type MemView } from './collect.js';
import { memJson } from './mem-json.js';
import { renderMemTable } from './render-table.js';
import { renderMemChart } from './svg-chart.js';
import { writeFileAtomic } from './write-chart.js';

export interface MemCommandOptions {
  json: boolean;
  watch: boolean;
  chart?: string;
  daemon?: string;
}

const CLEAR_HOME = '\x1b[2J\x1b[H';

export async function runMem(config: Config, options: MemCommandOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  await checkDatabase(config.databaseUrl);
  const redis = createRedis(config, 'cli-mem', { failFast: true });
  let db: Db | null = null;
  const openDb = () => (db ??= createDb(config, { poolSize: 1 }));
  redis.on('error', () => {}); // commands fail on their own; see the catch below
  const collect = () =>
    collectMem(redis, keysFor(config), openDb, {
      ...(options.daemon === undefined ? {} : { daemonId: options.daemon }),
      trend: { warmupJobs: config.leakWarmupJobs, leakThresholdMbPer1kJobs: config.leakThresholdMbPer1kJobs },
    }).catch((thrown: unknown) => {
      throw wrapError('SPIDERD_REDIS_UNAVAILABLE', `cannot read memory figures from Redis at ${redactUrl(config.redisUrl)}`, thrown);
    });
  try {
    const watching = options.watch && out.isTTY === true;
    if (!watching) {
      await showOnce(await collect(), options, out, false);
      return 0;
    }
    let stop = false;
    const onSignal = () => {
      stop = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      while (!stop) {
        await showOnce(await collect(), options, out, true);
        for (let waited = 0; waited < config.sampleIntervalMs && !stop; waited += 100) await sleep(Math.min(100, config.sampleIntervalMs - waited));
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  } finally {
    redis.disconnect();
    const opened = db as Db | null;
    if (opened) await opened.$disconnect();
  }
}

async function showOnce(view: MemView, options: MemCommandOptions, out: NodeJS.WriteStream, redraw: boolean): Promise<void> {
  const body = options.json ? `${JSON.stringify(memJson(view), null, 2)}\n` : renderMemTable(view);
  let footer = '';
  if (options.chart !== undefined && view.rows.length > 0) {
    const processes = view.rows.map((r) => ({ label: `${r.host} ${r.workerId} pid ${r.pid ?? '-'}`, samples: r.history }));
    await writeFileAtomic(options.chart, renderMemChart(processes, { title: `spiderd memory, ${new Date(view.generatedAt).toISOString()}` }));
    if (!options.json) footer = `chart written to ${options.chart}\n`;
  }
  if (redraw) out.write(`${CLEAR_HOME}${body}${footer}\n(refreshing every sample interval; Ctrl-C to stop)\n`);
  else out.write(body + footer);
}
