/** pino, JSON to stdout, one child logger per component; errors go under `err`. */
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel'>, component: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level: config.logLevel,
    base: { pid: process.pid, component, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'databaseUrl', 'redisUrl', '*.databaseUrl', '*.redisUrl'], censor: '***' },
  });
}
