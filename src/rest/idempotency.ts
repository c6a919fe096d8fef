import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { contentTypeParams, MimeError } from '../../protocols/mime/index.js';
import type { IdempotencyStore, Queue } from '../core/ports.js';
import type { VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import { refusal, RETRY_SOON_MS } from './errors.js';
import { acceptedAnswer } from './message-status.js';
import { ownedBy } from './message-view.js';
import type { IdempotentRun, RestAnswer } from './route.js';

/** The header's value: 1..255 printable ASCII characters (IETF httpapi Idempotency-Key draft: a String). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/** The Idempotency-Key of a request, or undefined without one; a malformed one is refused (400). */
export function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  // Node joins repeated headers of unknown names with ', ': a key given twice is not one key.
  if (Array.isArray(raw) || !KEY.test(raw))
    throw refusal('validation-error', 'Idempotency-Key must be 1 to 255 printable ASCII characters, given once');
  return raw;
}

/** What one Idempotency-Key record holds (JSON): the message id the first request stores under, and its request. */
interface IdempotencyRecord {
  messageId: string;
  fingerprint: string;
  /** When the first request claimed the key (epoch ms): a record older than `staleMs` with no message is taken over. */
  at: number;
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  queue: Queue;
  windowMs: number;
  /**
   * How long a first request may run between its claim and its enqueue: past this, a record that names no
   * stored message is from a request that died (its process was killed) and a retry takes the key over.
   * The form route's stage lives 2 x requestTimeoutMs + 60 s: a request still running after that can no
   * longer enqueue what it staged.
   */
  staleMs: number;
  now: () => number;
  log: Logger;
  /** Counts each claim's outcome (mmsc_rest_idempotency_total). */
  count?: (outcome: IdempotencyOutcome) => void;
}

export type IdempotencyOutcome = 'first' | 'replayed' | 'conflict' | 'in_progress' | 'taken_over';

/**
 * One request's Idempotency-Key (issue 24; the IETF httpapi Idempotency-Key draft): its body is read
 * through `body`, which hashes it, and `run` claims the key once the route has read it. Records are scoped
 * per account (`rest-submit:<vasp id>`): two accounts may use the same key.
 * - first claim: the route goes on and stores its message under the id it claimed with;
 * - the same key, another request (fingerprint): 422 idempotency-conflict;
 * - the same request, its message stored: the first answer again, rebuilt from the queue, with
 *   `Idempotent-Replayed: true`;
 * - the same request, no message stored yet: 409 with Retry-After (the first is still being carried out), or
 *   once the record is `staleMs` old, the key is taken over (the first died before it stored anything).
 */
export function idempotentRequest(
  o: IdempotencyOptions,
  req: IncomingMessage,
  vasp: VaspConfig,
  key: string,
): { body: Transform; run: IdempotentRun } {
  const body = new FingerprintStream(req.headers['content-type'] ?? '');
  const fingerprint = new Promise<string>((resolve, reject) => {
    body.once('fingerprint', resolve);
    // A client gone before the end of its body: there is no request to record.
    req.once('close', () => req.complete || reject(refusal('format-corrupt', 'the client went away before the end of the request')));
  });
  fingerprint.catch(() => undefined); // awaited by claim only
  req.pipe(body);
  const scope = `rest-submit:${vasp.id}`;
  let mine: string | undefined;

  const run: IdempotentRun = {
    async claim(messageId: string) {
      body.resume(); // whatever the route left unread (a form's epilogue) is hashed, then dropped
      const record: IdempotencyRecord = { messageId, fingerprint: await fingerprint, at: o.now() };
      const value = JSON.stringify(record);
      const claim = await claimOrTakeOver(o, scope, key, value);
      if (claim.first) {
        mine = value;
        o.count?.('first');
        return { first: true };
      }
      const theirs = parseRecord(claim.value);
      if (!theirs || theirs.fingerprint !== record.fingerprint) {
        o.count?.('conflict');
        throw refusal('idempotency-conflict', `Idempotency-Key ${key.slice(0, 64)} was used before with another request`);
      }
      const replay = await replayOf(o.queue, theirs.messageId, vasp);
      o.count?.(replay ? 'replayed' : 'in_progress');
      if (replay) return { first: false, replay };
      throw refusal(
        'idempotency-in-progress',
        `the first request with Idempotency-Key ${key.slice(0, 64)} is still in progress: send it again`,
        RETRY_SOON_MS,
      );
    },
    async release() {
      if (mine === undefined) return;
      const value = mine;
      mine = undefined;
      await o.store
        .release(scope, key, value)
        .catch((err: unknown) => o.log.warn({ err, vasp: vasp.id }, 'idempotency record not released'));
    },
  };
  return { body, run };

  /** A live record naming no stored message and older than staleMs: its request died; the key is claimed anew. */
  async function claimOrTakeOver(o: IdempotencyOptions, scope: string, key: string, value: string) {
    const claim = await o.store.claim(scope, key, value, o.windowMs);
    if (claim.first) return claim;
    const theirs = parseRecord(claim.value);
    if (!theirs || theirs.at + o.staleMs > o.now() || (await o.queue.message(theirs.messageId))) return claim;
    o.log.warn({ vasp: vasp.id, messageId: theirs.messageId }, 'Idempotency-Key of a request that stored nothing taken over');
    o.count?.('taken_over');
    // Release only drops the record it names: of two retries at once, one records, the other gets its value.
    await o.store.release(scope, key, claim.value);
    return o.store.claim(scope, key, value, o.windowMs);
  }
}

/** The answer the first request had, rebuilt from the queue; undefined when its message is not stored (yet). */
async function replayOf(queue: Queue, messageId: string, vasp: VaspConfig): Promise<RestAnswer | undefined> {
  const m = await queue.message(messageId);
  if (!ownedBy(m, vasp)) return undefined;
  const answer = acceptedAnswer(m);
  return { ...answer, headers: { ...answer.headers, 'idempotent-replayed': 'true' } };
}

function parseRecord(value: string): IdempotencyRecord | undefined {
  try {
    const r = JSON.parse(value) as Partial<IdempotencyRecord>;
    if (typeof r.messageId === 'string' && typeof r.fingerprint === 'string')
      return { messageId: r.messageId, fingerprint: r.fingerprint, at: typeof r.at === 'number' ? r.at : 0 };
  } catch {
    // not a record of ours: treated as another request's
  }
  return undefined;
}

/**
 * The request's bytes as they pass, hashed: SHA-256 of its Content-Type and body, emitted as 'fingerprint'
 * (base64url) at the end. A multipart body's boundary is left out of both (every occurrence of it): a client
 * that builds the same form again for a retry draws a new boundary (fetch, curl -F, every form library),
 * and it is the same request.
 */
export class FingerprintStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly boundary: Buffer | undefined;
  /** The last bytes of what came, which may begin an occurrence of the boundary the next chunk completes. */
  private carry: Buffer = Buffer.alloc(0);

  constructor(contentType: string) {
    super();
    const boundary = multipartBoundary(contentType);
    this.boundary = boundary ? Buffer.from(boundary, 'latin1') : undefined;
    const type = boundary ? contentType.split(boundary).join('') : contentType;
    this.hash.update(`${type.trim().toLowerCase()}\n`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hashPart(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.hash.update(this.carry);
    this.emit('fingerprint', this.hash.digest('base64url'));
    done();
  }

  /** Hashes the bytes, every occurrence of the boundary removed (leftmost first, across chunks alike). */
  private hashPart(chunk: Buffer): void {
    const b = this.boundary;
    if (!b) return void this.hash.update(chunk);
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (let at = buf.indexOf(b, pos); at >= 0; at = buf.indexOf(b, pos)) {
      this.hash.update(buf.subarray(pos, at));
      pos = at + b.length;
    }
    // An occurrence not found yet starts within the last b.length - 1 bytes: they wait for the next chunk.
    const keep = Math.max(pos, buf.length - (b.length - 1));
    this.hash.update(buf.subarray(pos, keep));
    this.carry = Buffer.from(buf.subarray(keep));
  }
}

/** The boundary of a multipart Content-Type, or undefined (another type, or none that can be read). */
function multipartBoundary(contentType: string): string | undefined {
  if (!/^\s*multipart\//i.test(contentType)) return undefined;
  try {
    const b = contentTypeParams(contentType).find((p) => p.name === 'boundary')?.value;
    return b !== undefined && b !== '' ? b : undefined;
  } catch (err) {
    if (err instanceof MimeError) return undefined;
    throw err;
  }
}
