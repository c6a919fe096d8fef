import { PduError } from './errors.js';
import { latin1 } from './latin1.js';
import { utf8Text } from './utf8.js';

/**
 * Cursor over a WSP-encoded buffer. Every read checks bounds against `end`, so a value can be
 * confined to its Value-length by narrowing `end` (see `within`). Strings are decoded from the input
 * without copying media; `bytes()` returns zero-copy slices.
 */
export class Reader {
  pos: number;
  end: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
    end = buf.length,
  ) {
    this.pos = pos;
    this.end = end;
  }

  fail(code: PduError['code'], message: string, at = this.pos): never {
    throw new PduError(code, message, at);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  byte(): number {
    if (this.pos >= this.end) this.fail('TRUNCATED', 'unexpected end of data');
    return this.buf[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('TRUNCATED', 'unexpected end of data');
    return this.buf[this.pos]!;
  }

  /** Zero-copy slice of the next n bytes. */
  bytes(n: number): Buffer {
    if (n > this.end - this.pos) this.fail('LENGTH_OVERFLOW', `length ${n} exceeds the ${this.end - this.pos} bytes left`);
    const start = this.pos;
    this.pos += n;
    return this.buf.subarray(start, this.pos);
  }

  /**
   * WAP-230 8.1.2 Variable Length Unsigned Integer: 7 bits an octet, high bit = continue; at most 5 octets
   * for a 32-bit value.
   */
  uintvar(): number {
    const start = this.pos;
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      v = v * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) this.fail('UINTVAR_TOO_LONG', 'uintvar above 2^32-1', start);
        return v;
      }
    }
    return this.fail('UINTVAR_TOO_LONG', 'uintvar longer than 5 octets', start);
  }

  /**
   * Value-length = Short-length | (Length-quote Length)   ; WAP-230 8.4.2.2
   * Short-length = <Any octet 0-30>; Length-quote = <Octet 31>; Length = Uintvar-integer
   * Returns the length and checks that it fits in what is left.
   */
  valueLength(): number {
    const start = this.pos;
    const b = this.byte();
    let len: number;
    if (b <= 30) len = b;
    else if (b === 31) len = this.uintvar();
    else return this.fail('BAD_VALUE', `expected a Value-length, got 0x${b.toString(16)}`, start);
    if (len > this.end - this.pos) this.fail('LENGTH_OVERFLOW', `value-length ${len} exceeds the ${this.end - this.pos} bytes left`, start);
    return len;
  }

  /** True when the next octet starts a Value-length (0-31). */
  atValueLength(): boolean {
    return this.pos < this.end && this.buf[this.pos]! <= 31;
  }

  /**
   * Confine reading to the next `len` bytes without a closure (the hot paths): returns the outer end, which
   * `leave` restores, moving past the `len` bytes whatever was consumed. A throw in between leaves the
   * reader narrowed: callers that catch a PduError and go on use a Reader of their own.
   */
  enter(len: number): number {
    const outer = this.end;
    this.end = this.pos + len;
    return outer;
  }

  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** Run `fn` confined to the next `len` bytes, then continue after them whatever `fn` consumed. */
  within<T>(len: number, fn: (r: Reader) => T): T {
    const outer = this.end;
    const stop = this.pos + len;
    this.end = stop;
    try {
      return fn(this);
    } finally {
      this.end = outer;
      this.pos = stop;
    }
  }

  /** Short-integer = OCTET ; 1xxx xxxx, the value in the low 7 bits (WAP-230 8.4.2.1). */
  shortInteger(): number {
    const b = this.byte();
    if (b < 0x80) this.fail('BAD_VALUE', `expected a Short-integer, got 0x${b.toString(16)}`, this.pos - 1);
    return b & 0x7f;
  }

  /**
   * Long-integer = Short-length Multi-octet-integer   ; WAP-230 8.4.2.1
   * Multi-octet-integer = 1*30 OCTET, big-endian. Beyond 2^53 we refuse rather than lose precision.
   */
  longInteger(): number {
    const start = this.pos;
    const n = this.byte();
    if (n > 30) this.fail('BAD_VALUE', `expected a Long-integer length, got 0x${n.toString(16)}`, start);
    if (n === 0) this.fail('BAD_VALUE', 'Long-integer of zero octets', start);
    if (n > this.end - this.pos) this.fail('LENGTH_OVERFLOW', `Long-integer of ${n} octets exceeds the data`, start);
    let v = 0;
    for (let i = 0; i < n; i++) {
      v = v * 256 + this.buf[this.pos++]!;
    }
    if (v > Number.MAX_SAFE_INTEGER) this.fail('INTEGER_TOO_LARGE', 'Long-integer above 2^53', start);
    return v;
  }

  /** Integer-Value = Short-integer | Long-integer   ; WAP-230 8.4.2.3 */
  integerValue(): number {
    const b = this.peek();
    if (b >= 0x80) {
      this.pos++;
      return b & 0x7f;
    }
    return this.longInteger();
  }

  /** Date-value = Long-integer, seconds since 1970-01-01T00:00:00Z   ; WAP-230 8.4.2.3 */
  date(): Date {
    const at = this.pos;
    const seconds = this.longInteger();
    // ECMAScript dates end at 8.64e15 ms (year 275760): a later date is junk, not a time.
    if (seconds > 8.64e12) this.fail('BAD_VALUE', `date ${seconds} s is beyond any representable time`, at);
    return new Date(seconds * 1000);
  }

  /**
   * Text-string = [Quote] *TEXT End-of-string   ; WAP-230 8.4.2.1
   * Quote = <Octet 127>, required when the first character is >= 128. Decoded as UTF-8 (a superset of the
   * US-ASCII the spec asks for; handsets put UTF-8 here), or as ISO-8859-1 when the octets are not UTF-8.
   */
  textString(): string {
    let p = this.pos;
    if (p < this.end && this.buf[p] === 0x7f) p++;
    const start = p;
    const buf = this.buf;
    const end = this.end;
    let high = 0;
    while (p < end) {
      const c = buf[p]!;
      if (c === 0) {
        this.pos = p + 1;
        if (high < 0x80) return latin1(buf, start, p);
        // 8-bit text that is not UTF-8 comes from legacy handsets in ISO-8859-1: decode it without loss.
        return utf8Text(buf, start, p) ?? latin1(buf, start, p);
      }
      high |= c;
      p++;
    }
    return this.fail('TRUNCATED', 'text-string without its terminating NUL', start);
  }

  /** The raw octets of a NUL-terminated string (without the NUL), zero-copy. */
  rawString(): Buffer {
    const start = this.pos;
    const i = this.buf.indexOf(0, start);
    if (i < 0 || i >= this.end) this.fail('TRUNCATED', 'string without its terminating NUL', start);
    this.pos = i + 1;
    return this.buf.subarray(start, i);
  }

  /** Quoted-string = <Octet 34> *TEXT End-of-string   ; WAP-230 8.4.2.1. Returns the text without the quote. */
  quotedString(): string {
    if (this.peek() === 0x22) this.pos++;
    return this.textString();
  }

  /** Skip one value of unknown type using the generic first-octet rules of WAP-230 8.4.1.2. */
  skipValue(): Buffer {
    const start = this.pos;
    const b = this.byte();
    if (b <= 30) this.bytes(b);
    else if (b === 31) this.bytes(this.uintvar());
    else if (b < 128) this.rawString();
    return this.buf.subarray(start, this.pos);
  }
}
