/**
 * Which IP addresses a crawler may connect to (pure). Everything that is not globally
 * reachable is refused: IANA's special-purpose ranges for IPv4 and IPv6 (loopback, RFC 1918,
 * link-local with the cloud metadata address, CGNAT, "this network", multicast, reserved,
 * documentation, benchmarking, ULA, ...), and IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) when that IPv4 address is refused.
 * Membership is checked with Node's net.BlockList; ipaddr.js only turns text into bytes.
 */
import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** [network, prefix length, why] for IPv4. */
const V4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network / unspecified'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'deprecated 6to4 relay anycast'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved and broadcast'],
];

/** [network, prefix length, why] for IPv6 (the forms that embed IPv4 are handled below). */
const V6_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 96, 'unspecified, loopback or IPv4-compatible'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing (SRv6)'],
  ['fc00::', 7, 'unique local (ULA)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

function buildList(ranges: ReadonlyArray<readonly [string, number, string]>, type: 'ipv4' | 'ipv6'): Array<{ list: BlockList; why: string }> {
  return ranges.map(([net, prefix, why]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, type);
    return { list, why };
  });
}

const V4 = buildList(V4_RANGES, 'ipv4');
const V6 = buildList(V6_RANGES, 'ipv6');

/** Why an address may not be connected to, or null when it is a public address. Invalid text is refused. */
export function blockedReason(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, IPv6 zone id
  const family = isIP(bare);
  if (family === 4) return v4Reason(bare);
  if (family === 6) return v6Reason(bare);
  return 'not an IP address';
}

function v4Reason(address: string): string | null {
  return V4.find((r) => r.list.check(address, 'ipv4'))?.why ?? null;
}

function v6Reason(address: string): string | null {
  const bytes = ipaddr.IPv6.parse(address).toByteArray();
  const embedded = embeddedV4(bytes);
  if (embedded !== null) {
    const why = v4Reason(embedded.address);
    return why === null ? null : `${embedded.form} of ${embedded.address}: ${why}`;
  }
  return V6.find((r) => r.list.check(address, 'ipv6'))?.why ?? null;
}

const startsWith = (bytes: number[], prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
const v4At = (bytes: number[], at: number) => bytes.slice(at, at + 4).join('.');

/** The IPv4 address that an IPv4-mapped, NAT64 (well-known prefix) or 6to4 address stands for. */
function embeddedV4(bytes: number[]): { form: string; address: string } | null {
  if (startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) return { form: 'IPv4-mapped address', address: v4At(bytes, 12) };
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return { form: 'NAT64 address', address: v4At(bytes, 12) };
  if (startsWith(bytes, [0x20, 0x02])) return { form: '6to4 address', address: v4At(bytes, 2) };
  return null;
}
