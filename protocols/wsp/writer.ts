import { PduError } from './errors.js';

/** Growable output buffer with the WSP primitive encoders (WAP-230 8.1.2, 8.4.2). */
export class Writer {
  buf: Buffer;
  pos = 0;
  /**
   * With `refs` set (see `vectored`), runs of at least that many octets given to `bytes` are not copied: the
   * output becomes a list of chunks, the writer's own octets between references (from `from`) and the runs.
   */
  private refs = 0;
  private from = 0;
  /** Value-lengths open (`openLength`): their octets are counted here, so nothing inside goes out by reference. */
  private open = 0;
  private chunks: Buffer[] = [];
  constructor(sizeHint = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(64, sizeHint));
  }

  /** Keep runs of `minRef` octets or more by reference from now on (before anything is written). */
  vectored(minRef: number): this {
    this.refs = minRef;
    return this;
  }

  /** The output as chunks (`vectored`); a writer never vectored gives its one buffer. */
  finishChunks(): Buffer[] {
    if (this.pos > this.from) this.chunks.push(this.buf.subarray(this.from, this.pos));
    return this.chunks;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The encoded bytes (a view of the internal buffer: the writer must not be reused after). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    if (this.refs > 0 && this.open === 0 && b.length >= this.refs) {
      if (this.pos > this.from) this.chunks.push(this.buf.subarray(this.from, this.pos));
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.from = this.pos;
      return;
    }
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  uintvar(v: number): void {
    if (v >= 0 && v < 0x80 && (v | 0) === v) {
      this.byte(v);
      return;
    }
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalid(`uintvar out of range: ${v}`);
    let n = 1;
    for (let t = v; t >= 0x80; t = Math.floor(t / 128)) n++;
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      const septet = Math.floor(v / 128 ** i) % 128;
      this.buf[this.pos++] = i === 0 ? septet : septet | 0x80;
    }
  }

  shortInteger(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 127) throw invalid(`short-integer out of range: ${v}`);
    this.byte(0x80 | v);
  }

  /** Long-integer in the fewest octets (at least one). */
  longInteger(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw invalid(`long-integer out of range: ${v}`);
    let n = 1;
    for (let t = v; t >= 256; t = Math.floor(t / 256)) n++;
    this.ensure(n + 1);
    this.buf[this.pos++] = n;
    for (let i = n - 1; i >= 0; i--) this.buf[this.pos++] = Math.floor(v / 256 ** i) % 256;
  }

  /** Integer-Value: Short-integer below 128, else Long-integer. */
  integerValue(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 128) this.byte(0x80 | v);
    else this.longInteger(v);
  }

  date(d: Date): void {
    const t = d.getTime();
    if (!Number.isFinite(t) || t < 0) throw invalid(`date out of range: ${String(d)}`);
    this.longInteger(Math.floor(t / 1000));
  }

  /** Text-string: UTF-8 octets, with the Quote octet when the first is >= 128, then NUL. */
  textString(s: string): void {
    const n = s.length;
    this.ensure(n * 3 + 2);
    const buf = this.buf;
    let p = this.pos;
    // Most header text is ASCII: copy it directly, which is several times faster than a UTF-8 encoder call
    // for short strings; fall back to the encoder at the first non-ASCII character.
    // Quote before a first octet >= 128 (WAP-230 8.4.2.1), and also before a control character or DEL:
    // unquoted, those would read back as a Value-length or be taken for the Quote itself.
    const first = n > 0 ? s.charCodeAt(0) : 0;
    if (n > 0 && first < 0x80 && (first < 0x20 || first === 0x7f)) buf[p++] = 0x7f;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 0) throw invalid('text-string contains NUL');
      if (c >= 0x80) {
        if (s.includes('\0')) throw invalid('text-string contains NUL');
        if (i === 0) buf[p++] = 0x7f; // Quote: the first octet is >= 128
        p += buf.write(s.slice(i), p, 'utf8');
        break;
      }
      buf[p++] = c;
    }
    buf[p++] = 0;
    this.pos = p;
  }

  /** Raw octets followed by NUL (for strings already in their wire charset). */
  rawString(b: Uint8Array): void {
    this.ensure(b.length + 1);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.buf[this.pos++] = 0;
  }

  /** Quoted-string: <"> then the text and NUL. */
  quotedString(s: string): void {
    this.byte(0x22);
    this.textString(s);
  }

  /**
   * Start a Value-length-prefixed value (WAP-230 8.4.2.2): writes a one-octet placeholder and returns where it
   * is, for `closeLength` once the value is written. A pair instead of a callback: the value's writers run
   * inline, with no closure made per value.
   */
  openLength(): number {
    const lenAt = this.pos;
    this.byte(0);
    this.open++;
    return lenAt;
  }

  /**
   * End the value opened at `lenAt`: its length goes in the placeholder (one octet up to 30, else Length-quote
   * and a uintvar, moving the value right by what the uintvar takes).
   */
  closeLength(lenAt: number): void {
    this.open--;
    const start = lenAt + 1;
    const len = this.pos - start;
    if (len <= 30) {
      this.buf[lenAt] = len;
      return;
    }
    let n = 1;
    for (let t = len; t >= 0x80; t = Math.floor(t / 128)) n++;
    this.ensure(n);
    this.buf.copyWithin(start + n, start, this.pos);
    this.buf[lenAt] = 31;
    const saved = this.pos + n;
    this.pos = start;
    this.uintvar(len);
    this.pos = saved;
  }

  /** A Value-length-prefixed value written by `body` (see `openLength`; for the less travelled paths). */
  withLength(body: () => void): void {
    const lenAt = this.openLength();
    body();
    this.closeLength(lenAt);
  }
}

function invalid(message: string): PduError {
  return new PduError('ENCODE_INVALID', message, -1);
}
