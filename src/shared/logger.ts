/**
 * pino, JSON to stdout, one child logger per component; errors go under `err`. Secrets never
 * reach a line: connection URLs in the config are censored whole, and every message, field
 * and error (message, stack, causes, and the fields drivers add, such as ioredis's
 * `command.args`) goes through redact.ts, so a password in a URL's userinfo or query, in a
 * driver's error text or in the command it failed on is replaced by "***".
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import { redactDeep, redactText } from './redact.js';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel'>, component: string, bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    base: { pid: process.pid, component, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'databaseUrl', 'redisUrl', '*.databaseUrl', '*.redisUrl'], censor: '***' },
    serializers: { err: (err: unknown) => redactDeep(err) },
    formatters: { log: (record: Record<string, unknown>) => redactDeep(record) as Record<string, unknown> },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info']) {
        const redacted = args.map((a: unknown) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<Logger['info']>;
        return method.apply(this, redacted);
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
