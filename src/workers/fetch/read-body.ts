/**
 * Reads a response body with byte caps: raw bytes received (maxBodyBytes) and, for
 * gzip/deflate/br bodies, decompressed bytes (maxDecompressedBytes, so a small
 * "decompression bomb" is stopped early). Over a cap: SPIDERD_FETCH_TOO_LARGE, or with
 * `truncate` the first bytes up to the cap. Corrupt compressed data: SPIDERD_FETCH_BAD_ENCODING.
 */
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/** Thrown inside the pipeline to stop reading once a cap is reached in truncate mode. */
class CapReached extends Error {}

export async function readBody(body: Readable, opts: ReadBodyOptions): Promise<BodyResult> {
  const decoders = decompressors(opts.contentEncoding);
  if (decoders === null) {
    abandonBody(body);
    throw new SpiderdError('SPIDERD_FETCH_BAD_ENCODING', `unsupported Content-Encoding ${JSON.stringify(opts.contentEncoding)}`, { details: opts.details });
  }
  let rawBytes = 0;
  let size = 0;
  let truncated = false;
  const chunks: Buffer[] = [];
  const tooLarge = (what: string, cap: number) =>
    new SpiderdError('SPIDERD_FETCH_TOO_LARGE', `${what} is larger than ${cap} bytes`, { details: { ...opts.details, cap } });

  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      rawBytes += chunk.length;
      if (rawBytes <= opts.maxBodyBytes) return cb(null, chunk);
      if (!opts.truncate) return cb(tooLarge('the response body', opts.maxBodyBytes));
      truncated = true;
      const keep = chunk.length - (rawBytes - opts.maxBodyBytes);
      // Pass what fits, then stop the download.
      this.push(chunk.subarray(0, keep));
      cb(new CapReached());
    },
  });
  const limit = decoders.length > 0 ? opts.maxDecompressedBytes : opts.maxBodyBytes;
  const collector = new Writable({
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return cb();
      }
      if (!opts.truncate) return cb(tooLarge('the decompressed body', limit));
      truncated = true;
      chunks.push(chunk.subarray(0, chunk.length - (size - limit)));
      cb(new CapReached());
    },
  });

  try {
    await pipeline([body, counter, ...decoders, collector]);
  } catch (thrown) {
    if (!(thrown instanceof CapReached)) throw bodyError(thrown, decoders.length > 0, opts.details);
  }
  return { data: Buffer.concat(chunks), rawBytes, truncated };
}

/** Decoders for Content-Encoding (applied in reverse order of the header); null when unsupported. */
function decompressors(contentEncoding: string | null): Transform[] | null {
  if (contentEncoding === null) return [];
  const codings = contentEncoding.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'identity');
  if (codings.length > 3) return null;
  const out: Transform[] = [];
  for (const coding of codings.reverse()) {
    // Like browsers (and undici's fetch), accept a stream that ends without its trailer.
    const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    if (coding === 'gzip' || coding === 'x-gzip') out.push(zlib.createGunzip(flush));
    else if (coding === 'deflate') out.push(zlib.createInflate(flush));
    else if (coding === 'br') out.push(zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }));
    else return null;
  }
  return out;
}

function isZlibError(thrown: unknown): boolean {
  const code = (thrown as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__') || code.startsWith('ERR_BROTLI'));
}

function bodyError(thrown: unknown, decompressing: boolean, details: FetchDetails): SpiderdError {
  if (thrown instanceof SpiderdError) return thrown;
  if (decompressing && isZlibError(thrown)) {
    return new SpiderdError('SPIDERD_FETCH_BAD_ENCODING', `the body could not be decompressed: ${(thrown as Error).message}`, { cause: thrown, details });
  }
  return thrownToError(thrown, details);
}
