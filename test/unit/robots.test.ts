/**
 * robots.txt parsing and matching by RFC 9309 (pure): spiderd's own cases, and Google's
 * robotstxt test cases (robots_test.cc) that the RFC covers, restated here. Google-only
 * behaviours (a missing colon, "index.html" as a directory, its line-length cut) are not
 * ported; where Google's library and the RFC disagree (decoding "%62%61%7A" to "baz"), the
 * RFC is followed and the case says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowed, normalizeForMatch, patternMatches } from '../../src/workers/robots/robots-match.js';
import { agentToken, policyFor } from '../../src/workers/robots/robots-parse.js';
import { verdictAllows, verdictOf } from '../../src/workers/robots/robots-verdict.js';

const allowed = (robotstxt: string, token: string, url: string) => isAllowed(policyFor(robotstxt, token), url);
const rules = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('robots.txt for our product token', () => {
  const TXT = rules('User-agent: spiderd', 'Disallow: /private/', 'Allow: /private/ok.html', 'Crawl-delay: 2.5', '', 'User-agent: *', 'Disallow: /', 'Allow: /public/', 'Crawl-delay: 600');

  it('matches the product token, not the whole User-Agent header', () => {
    assert.equal(allowed(TXT, 'spiderd', 'http://example.com/page'), true);
    assert.equal(allowed(TXT, 'spiderd', 'http://example.com/private/secret'), false);
    assert.equal(allowed(TXT, 'spiderd', 'http://example.com/private/ok.html'), true);
    assert.equal(allowed(TXT, 'SPIDERD', 'http://example.com/private/secret'), false, 'case-insensitive');
    assert.equal(allowed(TXT, 'otherbot', 'http://example.com/page'), false, 'others get the * group');
    assert.equal(allowed(TXT, 'otherbot', 'http://example.com/public/x'), true);
    // A user-agent line naming a version or comment still names the token.
    assert.equal(allowed(rules('User-agent: spiderd/0.1 (+https://x)', 'Disallow: /a'), 'spiderd', 'http://example.com/a'), false);
    // A longer token is another crawler.
    assert.equal(allowed(rules('User-agent: spiderd-images', 'Disallow: /'), 'spiderd', 'http://example.com/a'), true);
  });

  it('a matching group with no rules allows everything instead of falling back to *', () => {
    assert.equal(allowed(rules('User-agent: *', 'Disallow: /', '', 'User-agent: spiderd'), 'spiderd', 'http://example.com/x'), true);
    assert.equal(allowed(rules('User-agent: spiderd', 'Disallow:', 'User-agent: *', 'Disallow: /'), 'spiderd', 'http://example.com/x'), true);
    assert.equal(allowed(rules('User-agent: *', 'Disallow: /', 'User-agent: spiderd', 'Crawl-delay: 1'), 'spiderd', 'http://example.com/x'), true);
    // ...but a blank line does not end a group: this is one group for both agents.
    assert.equal(allowed(rules('User-agent: spiderd', '', 'User-agent: *', 'Disallow: /'), 'spiderd', 'http://example.com/x'), false);
  });

  it('Crawl-delay comes from the matching group, in ms, capped at 60 s', () => {
    const at = (txt: string, token: string) => verdictAllows({ kind: 'rules', status: 200, policy: policyFor(txt, token) }, 'http://example.com/').crawlDelayMs;
    assert.equal(at(TXT, 'spiderd'), 2500);
    assert.equal(at(TXT, 'otherbot'), 60_000);
    assert.equal(at(rules('User-agent: *', 'Disallow:'), 'x'), 0);
  });

  it('keeps only the rules that apply to us, normalized, not the file', () => {
    const policy = policyFor(rules('# a comment', 'Sitemap: http://example.com/s.xml', 'User-agent: other', 'Disallow: /other/', 'User-agent: spiderd', 'Disallow: /caf\u00e9', 'Allow: /%7eme/'), 'spiderd');
    assert.deepEqual(policy, { allow: ['/~me/'], disallow: ['/caf%C3%A9'] });
  });

  it('turns fetch outcomes into verdicts: 2xx rules, 4xx and unresolved redirects allow all, unavailable has none', () => {
    const file = verdictOf({ kind: 'file', status: 200, body: TXT }, 'spiderd');
    assert.equal(file?.kind, 'rules');
    const gone = verdictOf({ kind: 'allow-all', status: 404, reason: 'HTTP 404' }, 'spiderd');
    assert.ok(gone !== null && gone.kind !== 'blocked');
    assert.deepEqual(verdictAllows(gone, 'http://example.com/anything'), { allowed: true, crawlDelayMs: 0 });
    assert.equal(allowed('', 'spiderd', 'http://example.com/x'), true, 'an empty robots.txt allows everything');
  });

  it('/robots.txt itself is always allowed', () => {
    assert.equal(allowed(rules('User-agent: *', 'Disallow: /'), 'spiderd', 'http://example.com/robots.txt'), true);
  });
});

describe("Google's robotstxt cases covered by RFC 9309", () => {
  it('line syntax: records need a name and a colon; unknown names are ignored', () => {
    const url = 'http://foo.bar/x/y';
    assert.equal(allowed(rules('user-agent: FooBot', 'disallow: /'), 'FooBot', url), false);
    assert.equal(allowed(rules('foo: FooBot', 'bar: /'), 'FooBot', url), true);
  });

  it('groups: user-agent lines followed by rules; rules outside any group are ignored; same-agent groups combine', () => {
    const txt = rules('allow: /foo/bar/', '', 'user-agent: FooBot', 'disallow: /', 'allow: /x/', 'user-agent: BarBot', 'disallow: /', 'allow: /y/', '', '', 'allow: /w/',
      'user-agent: BazBot', '', 'user-agent: FooBot', 'allow: /z/', 'disallow: /');
    assert.equal(allowed(txt, 'FooBot', 'http://foo.bar/x/b'), true);
    assert.equal(allowed(txt, 'FooBot', 'http://foo.bar/z/d'), true);
    assert.equal(allowed(txt, 'FooBot', 'http://foo.bar/y/c'), false);
    assert.equal(allowed(txt, 'BarBot', 'http://foo.bar/y/c'), true);
    assert.equal(allowed(txt, 'BarBot', 'http://foo.bar/w/a'), true);
    assert.equal(allowed(txt, 'BarBot', 'http://foo.bar/z/d'), false);
    assert.equal(allowed(txt, 'BazBot', 'http://foo.bar/z/d'), true);
    for (const bot of ['FooBot', 'BarBot', 'BazBot']) assert.equal(allowed(txt, bot, 'http://foo.bar/foo/bar/'), false, bot);
  });

  it('record names are case-insensitive', () => {
    for (const txt of [rules('USER-AGENT: FooBot', 'ALLOW: /x/', 'DISALLOW: /'), rules('user-agent: FooBot', 'allow: /x/', 'disallow: /'), rules('uSeR-aGeNt: FooBot', 'AlLoW: /x/', 'dIsAlLoW: /')]) {
      assert.equal(allowed(txt, 'FooBot', 'http://foo.bar/x/y'), true);
      assert.equal(allowed(txt, 'FooBot', 'http://foo.bar/a/b'), false);
    }
  });

  it('user-agent values: case-insensitive, matched by their leading product token', () => {
    for (const txt of [rules('User-Agent: FOO BAR', 'Allow: /x/', 'Disallow: /'), rules('User-Agent: foo bar', 'Allow: /x/', 'Disallow: /'), rules('User-Agent: FoO bAr', 'Allow: /x/', 'Disallow: /')]) {
      for (const token of ['Foo', 'foo']) {
        assert.equal(allowed(txt, token, 'http://foo.bar/x/y'), true);
        assert.equal(allowed(txt, token, 'http://foo.bar/a/b'), false);
      }
    }
    assert.equal(agentToken('Foobot/2.1'), 'foobot');
    assert.equal(agentToken('Foo_Bar-baz'), 'foo_bar-baz');
    assert.equal(agentToken('* '), '*');
    assert.equal(agentToken('\u30c4'), null);
  });

  it('no matching group: the * groups apply; none at all: everything is allowed', () => {
    const url = 'http://foo.bar/x/y';
    assert.equal(allowed('', 'FooBot', url), true);
    const global = rules('user-agent: *', 'allow: /', 'user-agent: FooBot', 'disallow: /');
    assert.equal(allowed(global, 'FooBot', url), false);
    assert.equal(allowed(global, 'BarBot', url), true);
    assert.equal(allowed(rules('user-agent: FooBot', 'allow: /', 'user-agent: BarBot', 'disallow: /', 'user-agent: BazBot', 'disallow: /'), 'QuxBot', url), true);
  });

  it('rule values are case-sensitive', () => {
    assert.equal(allowed(rules('user-agent: FooBot', 'disallow: /x/'), 'FooBot', 'http://foo.bar/x/y'), false);
    assert.equal(allowed(rules('user-agent: FooBot', 'disallow: /X/'), 'FooBot', 'http://foo.bar/x/y'), true);
  });

  it('the longest match wins; on a tie, allow wins', () => {
    const url = 'http://foo.bar/x/page.html';
    const fb = (...lines: string[]) => rules('user-agent: FooBot', ...lines);
    assert.equal(allowed(fb('disallow: /x/page.html', 'allow: /x/'), 'FooBot', url), false);
    assert.equal(allowed(fb('allow: /x/page.html', 'disallow: /x/'), 'FooBot', url), true);
    assert.equal(allowed(fb('allow: /x/page.html', 'disallow: /x/'), 'FooBot', 'http://foo.bar/x/'), false);
    assert.equal(allowed(fb('disallow: ', 'allow: '), 'FooBot', url), true);
    assert.equal(allowed(fb('disallow: /', 'allow: /'), 'FooBot', url), true);
    assert.equal(allowed(fb('disallow: /x', 'allow: /x/'), 'FooBot', 'http://foo.bar/x'), false);
    assert.equal(allowed(fb('disallow: /x', 'allow: /x/'), 'FooBot', 'http://foo.bar/x/'), true);
    assert.equal(allowed(fb('disallow: /x/page.html', 'allow: /x/page.html'), 'FooBot', url), true);
    assert.equal(allowed(fb('allow: /page', 'disallow: /*.html'), 'FooBot', 'http://foo.bar/page.html'), false);
    assert.equal(allowed(fb('allow: /page', 'disallow: /*.html'), 'FooBot', 'http://foo.bar/page'), true);
    assert.equal(allowed(fb('allow: /x/page.', 'disallow: /*.html'), 'FooBot', url), true);
    assert.equal(allowed(fb('allow: /x/page.', 'disallow: /*.html'), 'FooBot', 'http://foo.bar/x/y.html'), false);
    const specific = rules('User-agent: *', 'Disallow: /x/', 'User-agent: FooBot', 'Disallow: /y/');
    assert.equal(allowed(specific, 'FooBot', 'http://foo.bar/x/page'), true);
    assert.equal(allowed(specific, 'FooBot', 'http://foo.bar/y/page'), false);
  });

  it('encoding: non-ASCII is percent-encoded, reserved characters are kept, escapes compare by value', () => {
    const fb = (allow: string) => rules('User-agent: FooBot', 'Disallow: /', `Allow: ${allow}`);
    assert.equal(allowed(fb('/foo/bar?qux=taz&baz=http://foo.bar?tar&par'), 'FooBot', 'http://foo.bar/foo/bar?qux=taz&baz=http://foo.bar?tar&par'), true);
    assert.equal(allowed(fb('/foo/bar/\u30c4'), 'FooBot', 'http://foo.bar/foo/bar/%E3%83%84'), true);
    assert.equal(allowed(fb('/foo/bar/%E3%83%84'), 'FooBot', 'http://foo.bar/foo/bar/%E3%83%84'), true);
    assert.equal(allowed(fb('/foo/bar/%e3%83%84'), 'FooBot', 'http://foo.bar/foo/bar/%E3%83%84'), true);
    assert.equal(allowed(fb('/foo/bar/%62%61%7A'), 'FooBot', 'http://foo.bar/foo/bar/%62%61%7A'), true);
    // RFC 9309 2.2.2: "/foo/bar/%62%61%7A" matches "/foo/bar/baz" (Google's library says no).
    assert.equal(allowed(fb('/foo/bar/%62%61%7A'), 'FooBot', 'http://foo.bar/foo/bar/baz'), true);
    assert.equal(normalizeForMatch('\u00e1'), '%C3%A1');
    assert.equal(normalizeForMatch('%aa'), '%AA');
    assert.equal(normalizeForMatch('/a/b/c'), '/a/b/c');
  });

  it('special characters: # comments, $ ends the pattern, * matches any run', () => {
    const a = rules('User-agent: FooBot', 'Disallow: /foo/bar/quz', 'Allow: /foo/*/qux');
    assert.equal(allowed(a, 'FooBot', 'http://foo.bar/foo/bar/quz'), false);
    assert.equal(allowed(a, 'FooBot', 'http://foo.bar/foo/quz'), true);
    assert.equal(allowed(a, 'FooBot', 'http://foo.bar/foo//quz'), true);
    assert.equal(allowed(a, 'FooBot', 'http://foo.bar/foo/bax/quz'), true);
    const b = rules('User-agent: FooBot', 'Disallow: /foo/bar$', 'Allow: /foo/bar/qux');
    assert.equal(allowed(b, 'FooBot', 'http://foo.bar/foo/bar'), false);
    for (const p of ['/foo/bar/qux', '/foo/bar/', '/foo/bar/baz']) assert.equal(allowed(b, 'FooBot', `http://foo.bar${p}`), true, p);
    const c = rules('User-agent: FooBot', '# Disallow: /', 'Disallow: /foo/quz#qux', 'Allow: /');
    assert.equal(allowed(c, 'FooBot', 'http://foo.bar/foo/bar'), true);
    assert.equal(allowed(c, 'FooBot', 'http://foo.bar/foo/quz'), false);
  });

  it('path matching as documented: /fish, /fish*, /fish/, /*.php, /*.php$, /fish*.php', () => {
    const check = (pattern: string, yes: string[], no: string[]) => {
      const txt = rules('user-agent: FooBot', 'disallow: /', `allow: ${pattern}`);
      assert.equal(allowed(txt, 'FooBot', 'http://foo.bar/bar'), false, `${pattern}: /bar`);
      for (const p of yes) assert.equal(allowed(txt, 'FooBot', `http://foo.bar${p}`), true, `${pattern} allows ${p}`);
      for (const p of no) assert.equal(allowed(txt, 'FooBot', `http://foo.bar${p}`), false, `${pattern} does not allow ${p}`);
    };
    const fishYes = ['/fish', '/fish.html', '/fish/salmon.html', '/fishheads', '/fishheads/yummy.html', '/fish.html?id=anything'];
    check('/fish', fishYes, ['/Fish.asp', '/catfish', '/?id=fish']);
    check('/fish*', fishYes, ['/Fish.bar', '/catfish', '/?id=fish']);
    check('/fish/', ['/fish/', '/fish/salmon', '/fish/?salmon', '/fish/salmon.html', '/fish/?id=anything'], ['/fish', '/fish.html', '/Fish/Salmon.html']);
    check('/*.php', ['/filename.php', '/folder/filename.php', '/folder/filename.php?parameters', '//folder/any.php.file.html', '/filename.php/', '/index?f=filename.php/'], ['/php/', '/index?php', '/windows.PHP']);
    check('/*.php$', ['/filename.php', '/folder/filename.php'], ['/filename.php?parameters', '/filename.php/', '/filename.php5', '/php/', '/filename?php', '/aaaphpaaa', '//windows.PHP']);
    check('/fish*.php', ['/fish.php', '/fishheads/catfish.php?parameters'], ['/Fish.PHP']);
  });

  it('order of precedence for group members', () => {
    const fb = (...lines: string[]) => rules('user-agent: FooBot', ...lines);
    assert.equal(allowed(fb('allow: /p', 'disallow: /'), 'FooBot', 'http://example.com/page'), true);
    assert.equal(allowed(fb('allow: /folder', 'disallow: /folder'), 'FooBot', 'http://example.com/folder/page'), true);
    assert.equal(allowed(fb('allow: /page', 'disallow: /*.htm'), 'FooBot', 'http://example.com/page.htm'), false);
    assert.equal(allowed(fb('allow: /$', 'disallow: /'), 'FooBot', 'http://example.com/'), true);
    assert.equal(allowed(fb('allow: /$', 'disallow: /'), 'FooBot', 'http://example.com/page.html'), false);
  });

  it('line endings: LF, CRLF, CR, mixed, and no final newline', () => {
    const lines = ['User-Agent: foo', 'Allow: /some/path', 'User-Agent: bar', '', '', 'Disallow: /'];
    for (const eol of ['\n', '\r\n', '\r']) {
      const txt = lines.join(eol);
      assert.equal(allowed(txt, 'bar', 'http://foo.bar/x'), false, JSON.stringify(eol));
      assert.equal(allowed(txt, 'foo', 'http://foo.bar/x'), true, JSON.stringify(eol));
    }
    const mixed = 'User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /';
    assert.equal(allowed(mixed, 'bar', 'http://foo.bar/x'), false);
  });

  it('a byte-order mark at the start is skipped; elsewhere it spoils its line', () => {
    assert.equal(allowed('\uFEFFUser-Agent: foo\nDisallow: /x\n', 'foo', 'http://foo.bar/x'), false);
    // What TextDecoder makes of a partial BOM (EF BB): a replacement character.
    assert.equal(allowed('\uFFFDUser-Agent: foo\nDisallow: /x\n', 'foo', 'http://foo.bar/x'), false);
    assert.equal(allowed('\uFFFD\u0011\uFFFDUser-Agent: foo\nDisallow: /x\n', 'foo', 'http://foo.bar/x'), true, 'a broken BOM makes the first line garbage');
    assert.equal(allowed('User-Agent: foo\n\uFEFFDisallow: /x\n', 'foo', 'http://foo.bar/x'), true);
  });

  it('sitemap and other records may appear anywhere and do not end a group', () => {
    const txt = rules('Sitemap: http://foo.bar/sitemap.xml', 'User-Agent: foo', 'Sitemap: http://foo.bar/other.xml', 'User-Agent: bar', 'Disallow: /');
    assert.equal(allowed(txt, 'foo', 'http://foo.bar/x'), false);
  });

  it('a pattern is matched without backtracking blow-ups', () => {
    const path = `/${'a'.repeat(20_000)}`;
    assert.equal(patternMatches(`/${'*a'.repeat(500)}b`, path), false);
    assert.equal(patternMatches(`/${'*a'.repeat(500)}$`, path), true);
  });
});
