import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, csvRow } from '../../src/cli/csv.js';
import { csvHeader, csvLine, EXPORT_FIELDS, type ExportRecord } from '../../src/cli/export-records.js';

describe('csv (RFC 4180)', () => {
  it('quotes only fields with a comma, quote, CR or LF, doubling quotes', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(false), 'false');
    assert.equal(csvField(new Date('2026-01-02T03:04:05.006Z')), '2026-01-02T03:04:05.006Z');
  });

  it('ends rows with CRLF', () => {
    assert.equal(csvRow(['a', 1, null]), 'a,1,\r\n');
  });

  it('exports links joined by a space and data as JSON text', () => {
    const record = Object.fromEntries(EXPORT_FIELDS.map((f) => [f, null])) as ExportRecord;
    record.url = 'http://a.test/';
    record.links = ['http://a.test/1', 'http://a.test/2'];
    record.data = { price: '1,50', tags: ['x'] };
    const line = csvLine(record);
    assert.ok(line.startsWith('http://a.test/,'));
    assert.ok(line.includes(',http://a.test/1 http://a.test/2,'));
    assert.ok(line.includes(',"{""price"":""1,50"",""tags"":[""x""]}"'), line);
    assert.ok(line.endsWith('\r\n'));
    assert.equal(csvHeader().split(',').length, EXPORT_FIELDS.length);
  });
});
