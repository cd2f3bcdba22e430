import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileScope, outOfScope } from '../../src/shared/url/scope.js';

const none = { include: [] as string[], exclude: [] as string[] };

describe('scope', () => {
  it('host scope keeps the seed hosts (port included) only', () => {
    const rules = compileScope({ scope: 'host', ...none }, ['example.com', '127.0.0.1:8080']);
    assert.equal(outOfScope('http://example.com/a', rules), null);
    assert.equal(outOfScope('https://example.com/b', rules), null);
    assert.equal(outOfScope('http://127.0.0.1:8080/x', rules), null);
    assert.match(outOfScope('http://127.0.0.1:9090/x', rules) ?? '', /127\.0\.0\.1:9090/);
    assert.match(outOfScope('http://www.example.com/a', rules) ?? '', /not a seed host/);
    assert.match(outOfScope('http://other.org/', rules) ?? '', /not a seed host/);
  });

  it('domain scope allows subdomains of the seeds\' registrable domains, not other domains', () => {
    const rules = compileScope({ scope: 'domain', ...none }, ['www.example.co.uk']);
    assert.equal(outOfScope('http://example.co.uk/', rules), null);
    assert.equal(outOfScope('http://blog.example.co.uk/post', rules), null);
    assert.equal(outOfScope('http://a.b.example.co.uk:8443/', rules), null);
    assert.match(outOfScope('http://other.co.uk/', rules) ?? '', /outside/);
    assert.match(outOfScope('http://example.com/', rules) ?? '', /outside/);
    assert.match(outOfScope('http://notexample.co.uk/', rules) ?? '', /outside/);
  });

  it('any scope allows every host', () => {
    const rules = compileScope({ scope: 'any', ...none }, ['example.com']);
    assert.equal(outOfScope('http://anything.else.org/x', rules), null);
  });

  it('include keeps only matching URLs and exclude removes matching ones', () => {
    const rules = compileScope({ scope: 'any', include: ['/docs/'], exclude: ['\\.pdf$', 'private'] }, ['example.com']);
    assert.equal(outOfScope('http://example.com/docs/intro', rules), null);
    assert.match(outOfScope('http://example.com/blog/post', rules) ?? '', /--include/);
    assert.match(outOfScope('http://example.com/docs/file.pdf', rules) ?? '', /--exclude \\\.pdf\$/);
    assert.match(outOfScope('http://example.com/docs/private/x', rules) ?? '', /--exclude private/);
  });

  it('exclude applies on top of the host scope', () => {
    const rules = compileScope({ scope: 'host', include: [], exclude: ['logout'] }, ['example.com']);
    assert.match(outOfScope('http://example.com/logout', rules) ?? '', /--exclude logout/);
    assert.equal(outOfScope('http://example.com/login', rules), null);
  });
});
