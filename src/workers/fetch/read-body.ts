/**
 * Reads a response body with byte caps: raw bytes received (maxBodyBytes) and, for
 * gzip/deflate/br bodies, decompressed bytes (maxDecompressedBytes, so a small "decompression
 * bomb" is stopped at the cap). Over a cap: SPIDERD_FETCH_TOO_LARGE, or with `truncate` the first
 * bytes up to the cap. Corrupt compressed data: SPIDERD_FETCH_BAD_ENCODING.
 *
 * The raw body is collected from 'data' events and decompressed in one synchronous call per
 * coding (pages are small; a stream pipeline per page cost more than the inflating itself).
 * Like browsers, a compressed body cut short without its trailer is accepted.
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { SpiderdError } from '../../shared/errors.js';
import { thrownToError, type FetchDetails } from './classify-response.js';
import { abandonBody } from './follow-redirects.js';

export interface ReadBodyOptions {
  contentEncoding: string | null;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** Return the first bytes up to a cap instead of failing (robots.txt). */
  truncate?: boolean;
  details: FetchDetails;
}

export interface BodyResult {
  data: Buffer;
  /** Bytes received on the wire (before decompression). */
  rawBytes: number;
  truncated: boolean;
}

type Coding = 'gzip' | 'deflate' | 'br';

export async function readBody(body: Readable, opts: ReadBodyOptions): Promise<BodyResult> {
  const codings = parseCodings(opts.contentEncoding);
  if (codings === null) {
    abandonBody(body);
    throw new SpiderdError('SPIDERD_FETCH_BAD_ENCODING', `unsupported Content-Encoding ${JSON.stringify(opts.contentEncoding)}`, { details: opts.details });
  }
  const tooLarge = (what: string, cap: number) => new SpiderdError('SPIDERD_FETCH_TOO_LARGE', `${what} is larger than ${cap} bytes`, { details: { ...opts.details, cap } });
  const raw = await collect(body, opts.maxBodyBytes, opts.truncate === true, () => tooLarge('the response body', opts.maxBodyBytes), opts.details);
  let data = raw.data;
  let truncated = raw.truncated;
  const limit = opts.maxDecompressedBytes;
  for (const coding of codings) {
    try {
      if (!opts.truncate) {
        data = zlibSync(coding, data, limit);
        continue;
      }
      const out = await inflateTruncated(coding, data, limit);
      data = out.data;
      truncated ||= out.truncated;
    } catch (thrown) {
      if (isOverLimit(thrown)) throw tooLarge('the decompressed body', limit);
      throw new SpiderdError('SPIDERD_FETCH_BAD_ENCODING', `the body could not be decompressed: ${(thrown as Error).message}`, { cause: thrown, details: opts.details });
    }
  }
  return { data, rawBytes: raw.rawBytes, truncated };
}

/** The body's bytes, up to `cap` (over it: the error, or with `truncate` the first `cap` bytes). */
function collect(body: Readable, cap: number, truncate: boolean, overCap: () => SpiderdError, details: FetchDetails): Promise<{ data: Buffer; rawBytes: number; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: SpiderdError | null, truncated = false) => {
      if (done) return;
      done = true;
      body.off('data', onData);
      if (err) reject(err);
      else resolve({ data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, Math.min(size, cap)), rawBytes: size, truncated });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= cap) {
        chunks.push(chunk);
        return;
      }
      abandonBody(body);
      if (!truncate) return finish(overCap());
      chunks.push(chunk.subarray(0, chunk.length - (size - cap)));
      finish(null, true);
    };
    body.on('data', onData);
    body.once('end', () => finish(null));
    body.once('error', (err) => finish(thrownToError(err, details)));
  });
}

function zlibSync(coding: Coding, data: Buffer, maxOutputLength: number): Buffer {
  if (coding === 'br') return zlib.brotliDecompressSync(data, { maxOutputLength, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  const options = { maxOutputLength, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  return coding === 'gzip' ? zlib.gunzipSync(data, options) : zlib.inflateSync(data, options);
}

/** The first `cap` decompressed bytes (streaming, so a bomb stops at the cap); for truncate mode (robots.txt). */
function inflateTruncated(coding: Coding, data: Buffer, cap: number): Promise<{ data: Buffer; truncated: boolean }> {
  const z =
    coding === 'br'
      ? zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
      : coding === 'gzip'
        ? zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
        : zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let size = 0;
    z.on('data', (chunk: Buffer) => {
      if (size >= cap) return;
      const keep = Math.min(chunk.length, cap - size);
      out.push(chunk.subarray(0, keep));
      size += keep;
      if (size < cap) return;
      z.destroy();
      resolve({ data: Buffer.concat(out), truncated: true });
    });
    z.once('end', () => resolve({ data: Buffer.concat(out), truncated: false }));
    z.once('error', reject);
    z.end(data);
  });
}

function isOverLimit(thrown: unknown): boolean {
  return (thrown as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE' || thrown instanceof RangeError;
}

/** Codings to undo, in order (the reverse of the header's); null when one is unsupported. */
function parseCodings(contentEncoding: string | null): Coding[] | null {
  if (contentEncoding === null) return [];
  const codings = contentEncoding.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'identity');
  if (codings.length > 3) return null;
  const out: Coding[] = [];
  for (const coding of codings.reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') out.push('gzip');
    else if (coding === 'deflate') out.push('deflate');
    else if (coding === 'br') out.push('br');
    else return null;
  }
  return out;
}
