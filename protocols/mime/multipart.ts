// Streaming multipart parser (RFC 2046 §5.1) for MM7 SOAP-with-attachments bodies (and later MM4).
//
// Why not @zone-eu/mailsplit: it was evaluated (nested multiparts, boundaries split across chunks,
// CRLF and bare-LF bodies all split correctly), but it is built to show whatever a mail client can
// show, and the leniency is in its core, not in options:
//  - input that ends without the closing delimiter, or with an inner multipart never closed, ends
//    quietly: _flush() accepts any state and a delimiter of any ancestor closes the open inner
//    multiparts (checkBoundary cases 3/4). We must answer MALFORMED to a truncated upload.
//  - input with no delimiter at all is one long preamble, not an error;
//  - a non-header line in a header block (e.g. a part that starts with "<?xml") is taken into the
//    header block without complaint;
//  - maxHeadSize counts each header line as at least 64 bytes and no limit counts header lines;
//    both of its limits fail with the same EMAXLEN; nesting depth is not limited at all;
//  - it works line by line through a Transform stream with a setImmediate per write
//    (~1 s for 400 kB written a byte at a time).
// Policing all that from outside means matching every delimiter line a second time, in our code,
// against mailsplit's own matching, which is the whole job. So this is a small scanner of our own:
// one synchronous state machine fed chunk by chunk, an explicit stack instead of recursion, and
// every limit checked at the byte where it is crossed.
import { stripAngles } from './find.js';
import type { ContentType } from './content-type.js';
import { parseContentType } from './content-type.js';
import { MimeError } from './errors.js';
import { MimeHeaders } from './headers.js';
import type { MimeEntity, MimeLimits, PartSink, StreamOptions } from './model.js';
import { DEFAULT_MIME_LIMITS } from './model.js';
import { KNOWN_ENCODINGS, decodeTransfer, pieceDecoder, type PieceDecoder } from './transfer-encoding.js';

/** RFC 2046 §5.1.1 allows white space after a boundary; we tolerate up to a header line's worth (RFC 5322 §2.1.1). */
const MAX_TRANSPORT_PADDING = 998;
/** Longest boundary accepted (RFC 2046 §5.1.1 says 70; senders exceed it, nobody needs a line's worth). */
const MAX_BOUNDARY = 998;
/** Body pieces shorter than this are copied into a shared block rather than kept as views of their chunk. */
const SMALL_PIECE = 512;
const STAGE_SIZE = 16 * 1024;
const CR = Buffer.of(0x0d);

type State =
  | 'preamble' // before the first delimiter of the innermost open multipart
  | 'headers' // in a part's header block
  | 'body' // in a leaf part's body
  | 'between' // after an inner multipart's close delimiter, waiting for its parent's next delimiter
  | 'end'; // after the root's close delimiter: epilogue

interface Frame {
  entity: MimeEntity;
  parts: MimeEntity[];
  boundary: Buffer;
  /** LF "--" boundary: what starts a delimiter line after a body line. */
  needle: Buffer;
  digest: boolean;
}

/** Collects a part body from pieces of input chunks, merging pieces that are adjacent in one chunk. */
class BodySink {
  private readonly pieces: Buffer[] = [];
  private cur: Buffer | undefined;
  private s = 0;
  private e = 0;
  private stage: Buffer | undefined;
  private staged = 0;

  add(buf: Buffer, s: number, e: number): void {
    if (e <= s) return;
    if (buf === this.cur && s === this.e) {
      this.e = e;
      return;
    }
    this.settle();
    this.cur = buf;
    this.s = s;
    this.e = e;
  }

  take(): Buffer {
    this.settle();
    this.unstage();
    return this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces);
  }

  // Input fed a byte at a time would otherwise leave one Buffer view per byte.
  private settle(): void {
    if (!this.cur) return;
    const piece = this.cur.subarray(this.s, this.e);
    this.cur = undefined;
    if (piece.length >= SMALL_PIECE) {
      this.unstage();
      this.pieces.push(piece);
      return;
    }
    if (this.stage && this.staged + piece.length > this.stage.length) this.unstage();
    this.stage ??= Buffer.allocUnsafe(STAGE_SIZE);
    piece.copy(this.stage, this.staged);
    this.staged += piece.length;
  }

  private unstage(): void {
    if (this.stage && this.staged > 0) this.pieces.push(this.stage.subarray(0, this.staged));
    this.stage = undefined;
    this.staged = 0;
  }
}

/** A streamed leaf's body: each piece decoded as it comes and handed to the caller's sink (StreamOptions). */
class StreamTarget {
  private bytes = 0;

  constructor(
    private readonly out: PartSink,
    private readonly decoder: PieceDecoder,
  ) {}

  add(buf: Buffer, s: number, e: number): void {
    if (e > s) this.emit(this.decoder.push(buf.subarray(s, e)));
  }

  /** The part is complete: returns its decoded size. */
  finish(): number {
    this.emit(this.decoder.finish());
    this.out.end();
    return this.bytes;
  }

  private emit(b: Buffer | undefined): void {
    if (!b || b.length === 0) return;
    this.bytes += b.length;
    this.out.write(b);
  }
}

/** A delimiter line (RFC 2046 §5.1.1): "--" boundary ["--"] *(SP / HTAB); 1 = next part, 2 = close, 0 = not one. */
function delimiter(buf: Buffer, s: number, e: number, boundary: Buffer): 0 | 1 | 2 {
  const n = boundary.length;
  if (e - s < n + 2 || buf[s] !== 0x2d || buf[s + 1] !== 0x2d) return 0;
  if (buf.compare(boundary, 0, n, s + 2, s + 2 + n) !== 0) return 0;
  let i = s + 2 + n;
  let kind: 1 | 2 = 1;
  if (i + 1 < e && buf[i] === 0x2d && buf[i + 1] === 0x2d) {
    kind = 2;
    i += 2;
  }
  while (i < e && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  return i === e ? kind : 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Header bytes as text: UTF-8 (RFC 6532) when valid, else Latin-1 so that no byte is lost. */
function headerText(b: Buffer): string {
  try {
    return utf8.decode(b);
  } catch {
    return b.toString('latin1');
  }
}

const FIELD_NAME = /^([!-9;-~]+)[ \t]*:/; // RFC 5322 §3.6.8 ftext, with obs-optional WSP before ":"

export function boundaryOf(ct: ContentType): Buffer {
  const b = ct.params['boundary'];
  if (b === undefined || b === '') throw new MimeError('NO_BOUNDARY', `${ct.type} has no boundary parameter`);
  if (b.length > MAX_BOUNDARY) throw new MimeError('BAD_CONTENT_TYPE', `boundary is ${b.length} characters long`);
  return Buffer.from(b, 'utf8');
}

class MultipartScanner {
  private readonly stack: Frame[] = [];
  private state: State = 'preamble';
  readonly root: MimeEntity;
  private partCount = 0;
  // The part being read.
  private part: MimeEntity | undefined;
  private fields: Array<{ name: string; value: string }> = [];
  private headerBytes = 0;
  private headerLines = 0;
  private sink: BodySink | StreamTarget = new BodySink();
  // The line ending of the last body line: it belongs to the next delimiter if one follows (RFC 2046 §5.1.1).
  private held: { buf: Buffer; s: number; e: number } | undefined;
  // The incomplete line at the end of the input so far.
  private pending: Buffer[] = [];
  private pendingLen = 0;
  // The pending line was already let through as content: the rest of it cannot be a delimiter.
  private truncated = false;

  constructor(
    ct: ContentType,
    private readonly limits: MimeLimits,
    private readonly stream: StreamOptions = {},
  ) {
    if (!ct.type.startsWith('multipart/')) throw new MimeError('BAD_CONTENT_TYPE', `${ct.type} is not multipart/*`);
    this.root = { headers: new MimeHeaders([]), contentType: ct, transferEncoding: '7bit' };
    this.open(this.root, ct);
  }

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== 'end') {
      if (this.state === 'body' && this.pendingLen === 0) {
        pos = this.skimBody(chunk, pos);
        if (pos >= chunk.length) break;
      }
      const lf = chunk.indexOf(0x0a, pos);
      if (lf < 0) {
        this.addPending(chunk.subarray(pos));
        break;
      }
      if (this.pendingLen > 0) {
        this.addPending(chunk.subarray(pos, lf + 1));
        const line = this.takePending();
        this.line(line, 0, line.length);
      } else {
        this.line(chunk, pos, lf + 1);
      }
      pos = lf + 1;
    }
    if (this.state === 'end') this.takePending(); // epilogue: nothing in it matters
    this.checkPending();
  }

  end(): MimeEntity {
    if (this.pendingLen > 0) {
      const line = this.takePending();
      this.line(line, 0, line.length);
    }
    if (this.state !== 'end') {
      const top = this.stack[this.stack.length - 1] as Frame;
      throw new MimeError(
        'MALFORMED',
        this.state === 'preamble' && top.parts.length === 0
          ? `no opening boundary of ${top.entity.contentType.type} before the end of the input`
          : `input ends before the closing boundary of ${top.entity.contentType.type}`,
      );
    }
    return this.root;
  }

  /**
   * A body's lines up to the next one that could be a delimiter, in one piece: a search for LF "--" boundary
   * rather than a call per line (a binary part has a "line" every 256 bytes or so). Starts at a line start;
   * returns where the line-by-line scan resumes: the candidate line, or the incomplete last line.
   */
  private skimBody(chunk: Buffer, pos: number): number {
    if (chunk[pos] === 0x2d) return pos; // this line itself may be a delimiter (or the rest of a truncated one)
    const top = this.stack[this.stack.length - 1] as Frame;
    const at = chunk.indexOf(top.needle, pos);
    const end = at >= 0 ? at + 1 : chunk.lastIndexOf(0x0a) + 1;
    if (end <= pos) return pos;
    this.truncated = false; // the line let through as content (checkPending) ends within [pos, end)
    // Whole lines [pos, end): content, but for the last line ending, which goes to a delimiter if one follows.
    let ce = end - 1;
    if (ce > pos && chunk[ce - 1] === 0x0d) ce--;
    this.flushHeld();
    this.sink.add(chunk, pos, ce);
    this.held = { buf: chunk, s: ce, e: end };
    return end;
  }

  private addPending(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingLen += b.length;
    if (this.pending.length > 64) this.pending = [Buffer.concat(this.pending, this.pendingLen)];
  }

  private takePending(): Buffer {
    const line = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    return line;
  }

  // Keeps the incomplete line bounded: in a header block by maxHeaderBytes; elsewhere, once it is too
  // long to be a delimiter line, it is content (or discarded) and the rest of it is passed through.
  private checkPending(): void {
    if (this.pendingLen === 0) return;
    if (this.state === 'headers') {
      if (this.headerBytes + this.pendingLen > this.limits.maxHeaderBytes) this.headerTooLarge();
      return;
    }
    const top = this.stack[this.stack.length - 1] as Frame;
    if (!this.truncated && this.pendingLen <= top.boundary.length + 4 + MAX_TRANSPORT_PADDING + 2) return;
    const line = this.takePending();
    // A final CR may be half of the line ending, which belongs to a delimiter that may follow.
    const keepCR = line[line.length - 1] === 0x0d;
    if (this.state === 'body') {
      this.flushHeld();
      this.sink.add(line, 0, line.length - (keepCR ? 1 : 0));
    }
    if (keepCR) this.addPending(CR);
    this.truncated = true;
  }

  private flushHeld(): void {
    if (this.held) this.sink.add(this.held.buf, this.held.s, this.held.e);
    this.held = undefined;
  }

  /** One line, buf[s, e), with its line ending when it has one (the last line of the input may not). */
  private line(buf: Buffer, s: number, e: number): void {
    let ce = e; // end of the content, line ending excluded
    if (ce > s && buf[ce - 1] === 0x0a) ce--;
    if (ce > s && buf[ce - 1] === 0x0d) ce--;
    const truncated = this.truncated;
    this.truncated = false;
    const top = this.stack[this.stack.length - 1] as Frame;
    const kind = truncated || this.state === 'end' ? 0 : delimiter(buf, s, ce, top.boundary);
    if (kind !== 0) {
      this.onDelimiter(kind, top);
      return;
    }
    switch (this.state) {
      case 'headers':
        if (ce === s) this.endHeaders();
        else this.headerLine(buf, s, ce, e - s);
        return;
      case 'body':
        this.flushHeld();
        this.sink.add(buf, s, ce);
        this.held = ce < e ? { buf, s: ce, e } : undefined;
        return;
      default:
        return; // preamble, between-parts epilogue, final epilogue: discarded (RFC 2046 §5.1.1)
    }
  }

  private onDelimiter(kind: 1 | 2, top: Frame): void {
    const prev = this.state;
    if (prev === 'headers' || prev === 'body') this.finishPart();
    if (kind === 1) {
      this.newPart(top);
      return;
    }
    // RFC 2046 §5.1.1: a multipart has at least one body part before its close delimiter.
    if (prev === 'preamble') throw new MimeError('MALFORMED', `close delimiter of ${top.entity.contentType.type} before any part`);
    this.stack.pop();
    this.state = this.stack.length > 0 ? 'between' : 'end';
  }

  private newPart(frame: Frame): void {
    if (++this.partCount > this.limits.maxParts) {
      throw new MimeError('TOO_MANY_PARTS', `more than ${this.limits.maxParts} parts`);
    }
    const part: MimeEntity = {
      headers: new MimeHeaders([]),
      contentType: frame.digest ? { type: 'message/rfc822', params: {} } : { type: 'text/plain', params: { charset: 'us-ascii' } },
      transferEncoding: '7bit',
    };
    frame.parts.push(part);
    this.part = part;
    this.fields = [];
    this.headerBytes = 0;
    this.headerLines = 0;
    this.state = 'headers';
  }

  private headerTooLarge(): never {
    throw new MimeError('HEADER_TOO_LARGE', `header block over ${this.limits.maxHeaderBytes} bytes or ${this.limits.maxHeaders} lines`);
  }

  private headerLine(buf: Buffer, s: number, ce: number, rawLen: number): void {
    this.headerBytes += rawLen;
    if (this.headerBytes > this.limits.maxHeaderBytes || ++this.headerLines > this.limits.maxHeaders) this.headerTooLarge();
    const text = headerText(buf.subarray(s, ce));
    const last = this.fields[this.fields.length - 1];
    if (text[0] === ' ' || text[0] === '\t') {
      // RFC 5322 §2.2.3 unfolding: the line break goes, the white space stays.
      if (!last) throw new MimeError('MALFORMED', 'header block starts with a continuation line');
      last.value += text;
      return;
    }
    const m = FIELD_NAME.exec(text);
    if (!m) throw new MimeError('MALFORMED', 'a line in a header block is not a header field');
    this.fields.push({ name: m[1] as string, value: text.slice(m[0].length) });
  }

  /** The blank line after a header block. */
  private endHeaders(): void {
    const part = this.part as MimeEntity;
    if (this.applyHeaders(part)) {
      this.open(part, part.contentType);
    } else {
      this.state = 'body';
      const out = this.stream.leaf?.(
        part,
        this.stack.map((f) => f.entity),
      );
      this.sink = out ? new StreamTarget(out, pieceDecoder(part.transferEncoding)) : new BodySink();
      this.held = undefined;
    }
  }

  /** A delimiter ends the current part: its body is complete (or it had only headers). */
  private finishPart(): void {
    const part = this.part as MimeEntity;
    if (this.state === 'headers') {
      // Liberal: a header block cut short by a delimiter is a part with an empty body.
      if (this.applyHeaders(part)) {
        throw new MimeError('MALFORMED', `${part.contentType.type} part ends before its first boundary`);
      }
      part.body = Buffer.alloc(0);
    } else {
      if (this.sink instanceof StreamTarget) part.streamedBytes = this.sink.finish();
      else part.body = decodeTransfer(this.sink.take(), part.transferEncoding);
      this.sink = new BodySink();
      this.held = undefined;
    }
    this.part = undefined;
  }

  /** Fills the entity from its header fields; true when it is a multipart. */
  private applyHeaders(part: MimeEntity): boolean {
    const headers = new MimeHeaders(this.fields.map((f) => ({ name: f.name, value: f.value.trim() })));
    part.headers = headers;
    const ct = headers.get('content-type');
    if (ct !== undefined) {
      try {
        part.contentType = parseContentType(ct);
      } catch (e) {
        // RFC 2045 §5.2: a syntactically invalid Content-Type is read as the default.
        if (!(e instanceof MimeError)) throw e;
      }
    }
    const id = headers.get('content-id');
    if (id !== undefined && stripAngles(id) !== '') part.contentId = stripAngles(id);
    const loc = headers.get('content-location');
    if (loc !== undefined && loc !== '') part.contentLocation = loc;
    const cte = headers.get('content-transfer-encoding');
    if (cte !== undefined) part.transferEncoding = cte.toLowerCase();
    if (!KNOWN_ENCODINGS.has(part.transferEncoding)) {
      throw new MimeError('BAD_ENCODING', `unknown Content-Transfer-Encoding "${part.transferEncoding}"`);
    }
    const multipart = part.contentType.type.startsWith('multipart/');
    // RFC 2045 §6.4: a multipart is never base64 or quoted-printable: its delimiters must stay readable.
    if (multipart && (part.transferEncoding === 'base64' || part.transferEncoding === 'quoted-printable')) {
      throw new MimeError('BAD_ENCODING', `${part.contentType.type} part with Content-Transfer-Encoding ${part.transferEncoding}`);
    }
    return multipart;
  }

  private open(entity: MimeEntity, ct: ContentType): void {
    const boundary = boundaryOf(ct);
    if (this.stack.length + 1 > this.limits.maxDepth) {
      throw new MimeError('TOO_DEEP', `multipart nested more than ${this.limits.maxDepth} levels`);
    }
    const parts: MimeEntity[] = [];
    entity.parts = parts;
    this.stack.push({
      entity,
      parts,
      boundary,
      needle: Buffer.concat([Buffer.from('\n--'), boundary]),
      digest: ct.type === 'multipart/digest',
    });
    this.state = 'preamble';
  }
}

function limitsOf(limits: Partial<MimeLimits> | undefined): MimeLimits {
  return { ...DEFAULT_MIME_LIMITS, ...limits };
}

function contentTypeOf(ct: ContentType | string): ContentType {
  if (typeof ct === 'string') return parseContentType(ct);
  return { type: ct.type.toLowerCase(), params: { ...ct.params } };
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('body chunks must be Buffer or Uint8Array');
}

/**
 * Reads the body, stopping at the first chunk that takes it over limits.maxBytes (leaving the rest of
 * the iterable unread), and hands each chunk to `sink`. Errors of the iterable itself (a client that
 * went away) pass through unchanged; anything else unexpected becomes MALFORMED.
 */
async function consume(
  body: AsyncIterable<Buffer | Uint8Array>,
  maxBytes: number,
  sink: (b: Buffer) => void,
  drain?: () => Promise<void>,
): Promise<void> {
  let total = 0;
  for await (const chunk of body) {
    const buf = toBuffer(chunk);
    total += buf.length;
    if (total > maxBytes) throw new MimeError('TOO_LARGE', `body over ${maxBytes} bytes`);
    guard(() => sink(buf));
    if (drain) await drain();
  }
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MimeError) throw e;
    throw new MimeError('MALFORMED', `unreadable MIME body: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Parse a multipart body (the bytes after the HTTP headers) whose Content-Type is `contentType`.
 * Returns the root entity: its contentType is the given one, headers empty, parts = the parts
 * (nested multiparts parsed too). Throws MimeError for any input.
 *
 * Memory: the bodies kept are at most the input, which is at most limits.maxBytes. A body that lies in one
 * input chunk is a view of it (zero-copy, as in protocols/wsp), so the caller must not reuse chunk buffers;
 * a body spread over chunks is copied once into one Buffer when its delimiter arrives. With
 * `stream.leaf`, the leaves it takes are not kept at all: their decoded bytes go to its sinks as they
 * arrive (a quoted-printable body is handed over whole at its end).
 */
export async function parseMultipart(
  body: AsyncIterable<Buffer | Uint8Array>,
  contentType: ContentType | string,
  limits?: Partial<MimeLimits>,
  stream?: StreamOptions,
): Promise<MimeEntity> {
  const lim = limitsOf(limits);
  const scanner = new MultipartScanner(contentTypeOf(contentType), lim, stream);
  await consume(body, lim.maxBytes, (b) => scanner.write(b), stream?.drain);
  return guard(() => scanner.end());
}

/**
 * Parse a single non-multipart entity given its type (e.g. a plain text/xml SOAP body): returns
 * { contentType, body } with the body decoded per `transferEncoding` (default 7bit). Same limits.
 */
export async function parseSinglePart(
  body: AsyncIterable<Buffer | Uint8Array>,
  contentType: ContentType | string,
  transferEncoding = '7bit',
  limits?: Partial<MimeLimits>,
): Promise<MimeEntity> {
  const lim = limitsOf(limits);
  const ct = contentTypeOf(contentType);
  const cte = transferEncoding.trim().toLowerCase();
  if (!KNOWN_ENCODINGS.has(cte)) throw new MimeError('BAD_ENCODING', `unknown Content-Transfer-Encoding "${cte}"`);
  const chunks: Buffer[] = [];
  await consume(body, lim.maxBytes, (b) => chunks.push(b));
  return { headers: new MimeHeaders([]), contentType: ct, transferEncoding: cte, body: decodeTransfer(Buffer.concat(chunks), cte) };
}
