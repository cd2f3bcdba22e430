/**
 * A redis-server of the test's own on a free port of 127.0.0.1 (with a password, when asked),
 * for tests that break Redis on purpose: the machine's shared Redis is never reconfigured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';

export interface OwnRedis {
  port: number;
  /** redis://:password@127.0.0.1:port (no userinfo without a password). */
  url(password?: string): string;
  /** A client that authenticates with the given password (the caller disconnects it). */
  client(password?: string): Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

export async function startOwnRedis(options: { password?: string } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const url = (password?: string) => (password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`);
  const client = (password?: string) => new Redis(url(password), { maxRetriesPerRequest: 1, retryStrategy: () => null });
  for (let i = 0; !out.includes('Ready to accept connections'); i++) {
    if (child.exitCode !== null || i > 100) throw new Error(`redis-server did not start on ${port}: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url,
    client,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
