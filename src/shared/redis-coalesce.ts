/**
 * One socket write per event-loop turn for a Redis connection. ioredis writes each command to
 * its socket at once, and on loopback every write is a system call that also runs the TCP path
 * and wakes Redis: a crawler completing a batch of 18 jobs made 18 writes in one turn (BullMQ's
 * moveToFinished, 5% of a crawler's busy time in a CPU profile). Here the first write of a turn
 * corks the socket and the next check phase (setImmediate) uncorks it, so what was issued in the
 * turn leaves in one writev. Order, replies and error handling are ioredis's own: only when the
 * bytes leave changes, by well under a millisecond. Unlike ioredis's enableAutoPipelining it does
 * not change how commands are grouped or retried (Bull and BullMQ users reported jobs with empty
 * data and "not in the active list" errors with that option: OptimalBits/bull#2276,
 * taskforcesh/bullmq#457). Applied again to each new socket after a reconnect.
 */
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

export function coalesceWrites(redis: Redis): void {
  redis.on('connect', () => {
    const socket = (redis as unknown as { stream?: Socket }).stream;
    if (socket) corkPerTurn(socket);
  });
}

function corkPerTurn(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: unknown[]): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}
