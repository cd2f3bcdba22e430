/**
 * A local 3-master Redis Cluster for one test file: three redis-server processes on free ports
 * (each port and its cluster bus port, port + 10000, free), no persistence, in a temp directory
 * removed by stop(). `url` lists the three nodes, comma-separated, as REDIS_URL takes them with
 * --redis-cluster. Needs redis-server and redis-cli on PATH (as CI has for the standalone Redis).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface TestCluster {
  /** redis://127.0.0.1:P1,redis://127.0.0.1:P2,redis://127.0.0.1:P3 */
  url: string;
  ports: number[];
  /** A plain connection to one node (not cluster-aware): for FLUSHALL, INFO and the like. */
  node(port: number): Redis;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  // Cluster bus ports are port + 10000, so ports stay under 55535.
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if (ports.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10000))) ports.push(port);
  }
  return ports;
}

async function waitFor(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for: ${what}`);
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spiderd-cluster-'));
  const ports = await freePorts(3);
  const clients: Redis[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    for (const port of ports) {
      const pidFile = path.join(dir, `redis-${port}.pid`);
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await run('redis-server', [
        '--cluster-enabled', 'yes', '--port', String(port), '--bind', '127.0.0.1',
        '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no',
        '--dir', dir, '--daemonize', 'yes', '--pidfile', path.join(dir, `redis-${port}.pid`), '--logfile', path.join(dir, `redis-${port}.log`),
      ]);
    }
    for (const port of ports) await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.includes('PONG'), `redis-server on ${port}`);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok'), `cluster_state:ok on ${port}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: ports.map((p) => `redis://127.0.0.1:${p}`).join(','),
    ports,
    node: (port) => {
      const c = new Redis({ port, host: '127.0.0.1' });
      clients.push(c);
      return c;
    },
    stop,
  };
}
