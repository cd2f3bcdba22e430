/**
 * The SSRF guard at the socket: an undici connector that refuses to connect to an address
 * address-policy.ts blocks. It checks the address the socket will really use, at connect time,
 * for every connection (every redirect hop, robots.txt, each new keep-alive socket), so a DNS
 * answer that changes between two lookups (DNS rebinding) cannot slip through:
 *   - an IP literal host is checked before anything is opened (net.connect does no lookup);
 *   - a host name is resolved by the socket's own `lookup`, which drops blocked addresses and
 *     fails when none is left;
 *   - the connected socket's remoteAddress is checked before undici may write to it.
 * A refusal is SPIDERD_ADDRESS_BLOCKED (permanent); no request is ever sent to that address.
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import { blockedReason as defaultPolicy } from './address-policy.js';

export function addressBlocked(host: string, address: string, why: string): SpiderdError {
  const shown = host === address ? address : `${host} (${address})`;
  return new SpiderdError('SPIDERD_ADDRESS_BLOCKED', `refused to connect to ${shown}: ${why} address (the daemon's operator can allow private networks with --allow-private-networks)`, {
    details: { host, address },
  });
}

/** Why an address is refused, or null; address-policy.ts's blockedReason in production. */
export type AddressPolicy = (address: string) => string | null;

/** dns.lookup, minus the blocked addresses; fails with SPIDERD_ADDRESS_BLOCKED when nothing is left. */
export const guardedLookup = (blockedReason: AddressPolicy): LookupFunction => (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) {
      callback(err, '', 0);
      return;
    }
    const allowed = addresses.filter((a) => blockedReason(a.address) === null);
    const first = allowed[0];
    if (first === undefined) {
      const refused = addresses[0];
      const why = refused === undefined ? 'no' : (blockedReason(refused.address) ?? 'no');
      callback(addressBlocked(hostname, refused?.address ?? 'no address', why), '', 0);
      return;
    }
    if (options.all) callback(null, allowed);
    else callback(null, first.address, first.family);
  });
};

export function createGuardedConnector(options: buildConnector.BuildOptions, blockedReason: AddressPolicy = defaultPolicy): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: guardedLookup(blockedReason) });
  return (target, callback) => {
    const literal = isIP(target.hostname) !== 0 ? blockedReason(target.hostname) : null;
    if (literal !== null) {
      // undici calls the connector inside its own bookkeeping; answer on a later tick.
      process.nextTick(callback, addressBlocked(target.hostname, target.hostname, literal), null);
      return;
    }
    connect(target, (err, socket) => {
      if (err !== null) {
        callback(err, null);
        return;
      }
      const remote = socket.remoteAddress;
      const why = remote === undefined ? 'an unknown' : blockedReason(remote);
      if (why !== null) {
        socket.destroy();
        callback(addressBlocked(target.hostname, remote ?? 'unknown', why), null);
        return;
      }
      callback(null, socket);
    });
  };
}
