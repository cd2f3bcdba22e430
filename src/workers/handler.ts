/**
 * User extraction handlers: a module (path resolved against the daemon's working directory)
 * whose `default` (or `handle`) export is an async function of the page. Each module is
 * imported once per process. The daemon's own --handler is imported as given; any other (a
 * crawl's) only from a --handler-dir directory (handler-path.ts), else its pages fail with
 * SPIDERD_HANDLER_NOT_ALLOWED. A module that cannot be loaded fails its pages with
 * SPIDERD_HANDLER_INVALID. Either is logged once. A handler that throws, hangs or returns
 * something that is not JSON fails the page with SPIDERD_HANDLER_FAILED. The process goes on.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheerioAPI } from 'cheerio/slim';
import { SpiderdError, coerceError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { allowedHandlerPath } from './handler-path.js';

export interface HandlerContext {
  url: string;
  finalUrl: string;
  status: number;
  headers: Record<string, string>;
  html: string;
  $: CheerioAPI;
  depth: number;
  /** The crawl's name. */
  crawl: string;
}

export type HandlerFn = (page: HandlerContext) => unknown;

/**
 * The page a handler receives. `$` is built on its first read and kept: the DOM is most of what
 * a handler's page costs, and a handler that reads only url, html or headers never pays for it.
 */
export function handlerContext(fields: Omit<HandlerContext, '$'>, buildDom: () => CheerioAPI): HandlerContext {
  let dom: CheerioAPI | undefined;
  return {
    ...fields,
    get $() {
      return (dom ??= buildDom());
    },
  };
}

export const HANDLER_TIMEOUT_MS = 60_000;
const MAX_DATA_BYTES = 1024 * 1024;

/** What the daemon's operator trusts: its own handler (config handler) and the directories of config handlerDirs. */
export interface HandlerTrust {
  trusted?: string;
  allowedDirs: readonly string[];
}

export class HandlerLoader {
  private readonly modules = new Map<string, Promise<HandlerFn>>();
  private readonly trusted: string | null;

  constructor(
    private readonly log: Logger,
    private readonly trust: HandlerTrust,
    private readonly cwd = process.cwd(),
  ) {
    this.trusted = trust.trusted === undefined ? null : path.resolve(cwd, trust.trusted);
  }

  /** The handler function of a module; rejects with SPIDERD_HANDLER_NOT_ALLOWED or SPIDERD_HANDLER_INVALID (the same error every time). */
  load(modulePath: string): Promise<HandlerFn> {
    const file = path.resolve(this.cwd, modulePath);
    let loaded = this.modules.get(file);
    if (!loaded) {
      loaded = file === this.trusted ? importHandler(file) : allowedHandlerPath(file, this.trust.allowedDirs).then(importHandler);
      loaded.catch((err: unknown) => {
        const code = err instanceof SpiderdError ? err.code : 'SPIDERD_HANDLER_INVALID';
        this.log.error({ err, code, handler: file }, `extraction handler not loaded; its pages fail with ${code}`);
      });
      this.modules.set(file, loaded);
    }
    return loaded;
  }
}

async function importHandler(file: string): Promise<HandlerFn> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const cause = coerceError(err);
    throw new SpiderdError('SPIDERD_HANDLER_INVALID', `handler ${file} could not be imported: ${cause.message}`, { cause });
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.handle;
  if (typeof fn !== 'function') throw new SpiderdError('SPIDERD_HANDLER_INVALID', `handler ${file} exports neither a default function nor handle()`);
  return fn as HandlerFn;
}

/** Calls the handler and returns its result as a JSON value (null for undefined). */
export async function runHandler(fn: HandlerFn, page: HandlerContext): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  let result: unknown;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not finish within ${HANDLER_TIMEOUT_MS / 1000} s`)), HANDLER_TIMEOUT_MS);
    });
    result = await Promise.race([Promise.resolve().then(() => fn(page)), timeout]);
  } catch (err) {
    const cause = coerceError(err);
    throw new SpiderdError('SPIDERD_HANDLER_FAILED', `handler failed on ${page.url}: ${cause.message}`, { cause });
  } finally {
    clearTimeout(timer);
  }
  if (result === undefined) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (err) {
    const cause = coerceError(err);
    throw new SpiderdError('SPIDERD_HANDLER_FAILED', `handler returned a value that is not JSON: ${cause.message}`, { cause });
  }
  if (json === undefined) return null;
  if (json.length > MAX_DATA_BYTES) throw new SpiderdError('SPIDERD_HANDLER_FAILED', `handler returned ${json.length} characters of JSON (limit ${MAX_DATA_BYTES})`);
  return JSON.parse(json) as unknown;
}
