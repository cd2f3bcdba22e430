import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { mergeSeeds, readSeedsFile, seedsFromArgs, seedsFromText } from '../../src/cli/seeds.js';

describe('seed lists', () => {
  it('ignores blank lines and # comments, normalizes, and names the line of each bad seed', () => {
    const text = '# my seeds\nhttp://Example.COM:80/a#frag\n\n  ftp://x.test/\nhttp://b.test/ # trailing comment\nnot a url\n';
    const seeds = seedsFromText(text, 'seeds.txt');
    assert.deepEqual(seeds.urls, ['http://example.com/a', 'http://b.test/']);
    assert.deepEqual(seeds.problems, ['seeds.txt line 4: scheme "ftp" is not http or https', 'seeds.txt line 6: not a valid URL: "not a url"']);
  });

  it('numbers arguments from 1 and merges without duplicates', () => {
    const merged = mergeSeeds(seedsFromArgs(['http://a.test/', 'mailto:me@a.test']), seedsFromText('http://a.test/\nhttp://c.test/', 'f'));
    assert.deepEqual(merged.urls, ['http://a.test/', 'http://c.test/']);
    assert.deepEqual(merged.problems, ['argument 2: scheme "mailto" is not http or https']);
  });

  it('reads stdin for "-"', async () => {
    const seeds = await readSeedsFile('-', Readable.from([Buffer.from('http://a.test/x\nhttps://b.test/')]));
    assert.deepEqual(seeds.urls, ['http://a.test/x', 'https://b.test/']);
  });

  it('reports a missing file as bad input', async () => {
    await assert.rejects(readSeedsFile('/nonexistent/seeds.txt'), { code: 'SPIDERD_BAD_INPUT' });
  });
});
