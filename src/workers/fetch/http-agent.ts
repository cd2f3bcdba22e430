/**
 * The crawler's HTTP agent: keep-alive connections per origin, with connect/headers/body
 * timeouts, and the SSRF guard (guarded-connector.ts) on every connection unless the daemon's
 * operator allowed private networks.
 */
import { Agent } from 'undici';
import type { Config } from '../../shared/config.js';
import { createGuardedConnector } from './guarded-connector.js';

export interface FetchLimits {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxRedirects: number;
}

export function fetchLimits(config: Config): FetchLimits {
  return {
    connectTimeoutMs: config.connectTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    maxDecompressedBytes: config.maxDecompressedBytes,
    maxRedirects: config.maxRedirects,
  };
}

/** Idle sockets are kept for a while so pages of one host reuse connections. */
const KEEP_ALIVE_MS = 10_000;
const KEEP_ALIVE_MAX_MS = 60_000;

/** Who may be connected to: only public addresses, unless the operator opted in (config allowPrivateNetworks). */
export interface NetworkAccess {
  allowPrivateNetworks: boolean;
}

export function createHttpAgent(limits: FetchLimits, access: NetworkAccess): Agent {
  const connect = { timeout: limits.connectTimeoutMs };
  return new Agent({
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_MS,
    connect: access.allowPrivateNetworks ? connect : createGuardedConnector(connect),
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.bodyTimeoutMs,
  });
}
