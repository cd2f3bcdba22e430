/** The SSRF guard's address policy: every non-public range is refused, public addresses pass. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockedReason } from '../../src/workers/fetch/address-policy.js';

const BLOCKED = [
  // IPv4: loopback, unspecified / this network, RFC 1918, CGNAT, link-local and metadata.
  '127.0.0.1', '127.255.255.254', '0.0.0.0', '0.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1',
  '100.64.0.1', '100.127.255.255', '169.254.169.254', '169.254.0.1',
  // IPv4: IETF assignments, documentation, benchmarking, 6to4 relay, multicast, reserved, broadcast.
  '192.0.0.8', '192.0.0.170', '192.0.2.1', '198.51.100.7', '203.0.113.9', '198.18.0.1', '198.19.255.255', '192.88.99.1',
  '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
  // IPv6: unspecified, loopback, IPv4-compatible, ULA, link-local, site-local, multicast, documentation, discard, Teredo.
  '::', '::1', '::7f00:1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'ff02::1', '2001:db8::1', '3fff::1', '100::1', '2001::1', '2001:2::1',
  // IPv6 forms of blocked IPv4 addresses.
  '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:10.1.2.3', '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::1', '2002:7f00:1::', '2002:c0a8:101::1',
  // Brackets as in a URL host.
  '[::1]', '[::ffff:7f00:1]',
];

const ALLOWED = ['93.184.215.14', '1.1.1.1', '8.8.8.8', '100.63.255.255', '100.128.0.0', '172.32.0.1', '192.0.1.1', '198.20.0.1', '223.255.255.255',
  '2606:4700::6810:85e5', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '[2606:4700::1]'];

test('every loopback, private, link-local, reserved and special-purpose address is refused, with a reason', () => {
  for (const address of BLOCKED) {
    const why = blockedReason(address);
    assert.ok(why !== null, `${address} must be blocked`);
    assert.ok(why.length > 0);
  }
  assert.match(blockedReason('169.254.169.254') ?? '', /link-local/);
  assert.match(blockedReason('::ffff:7f00:1') ?? '', /IPv4-mapped address of 127\.0\.0\.1: loopback/);
  assert.match(blockedReason('64:ff9b::a9fe:a9fe') ?? '', /NAT64 address of 169\.254\.169\.254/);
  assert.match(blockedReason('2002:c0a8:101::1') ?? '', /6to4 address of 192\.168\.1\.1: private/);
});

test('public IPv4 and IPv6 addresses, and IPv6 forms of public IPv4 addresses, pass', () => {
  for (const address of ALLOWED) assert.equal(blockedReason(address), null, address);
});

test('text that is not an IP address is refused (host names are resolved before the check)', () => {
  for (const text of ['localhost', 'example.com', '', '127.1', '2130706433', '0x7f.0.0.1']) assert.notEqual(blockedReason(text), null, text);
});
