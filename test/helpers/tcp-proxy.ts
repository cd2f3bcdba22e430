/**
 * A TCP forwarder on 127.0.0.1 to a real server (PostgreSQL), whose port stays the same while it
 * is closed and opened again: closing it is the server "going down" for whoever connects through
 * it (open connections are cut, new ones refused), opening it is the server "coming back".
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  return {
    port,
    async open() {
      if (server) return;
      server = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => {
            sockets.delete(s);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close() {
      for (const s of sockets) s.destroy();
      const s = server;
      server = null;
      if (s) await new Promise((resolve) => s.close(resolve));
    },
  };
}
