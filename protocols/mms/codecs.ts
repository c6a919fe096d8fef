import { PduError } from '../wsp/errors.js';
import type { EncodedStringValue } from '../wsp/model.js';
import type { Reader } from '../wsp/reader.js';
import { readContentType, readEncodedString, readParams, writeContentType, writeEncodedString, writeParams } from '../wsp/values.js';
import { versionName, versionValue } from '../wsp/version.js';
import type { Writer } from '../wsp/writer.js';
import type {
  ElementDescriptor,
  FromValue,
  Indexed,
  MboxCount,
  MmFlags,
  PreviouslySentBy,
  PreviouslySentDate,
  TimeValue,
} from './model.js';
import { ABSOLUTE_TOKEN, ADDRESS_PRESENT_TOKEN, INSERT_ADDRESS_TOKEN, MBOX_UNIT, MM_FLAGS_ACTION, RELATIVE_TOKEN } from './tables.js';

/** How one header field's value is read and written. Values are typed by MmsHeaders; the table is generic. */
export interface Codec {
  read(r: Reader): unknown;
  write(w: Writer, v: unknown): void;
}

function invalid(what: string, v: unknown): PduError {
  return new PduError('ENCODE_INVALID', `${what}: cannot encode ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`, -1);
}

/** Text-string values (Transaction-Id, Message-ID, Applic-ID, ...). */
export const text: Codec = {
  read: (r) => r.textString(),
  write: (w, v) => {
    if (typeof v !== 'string') throw invalid('text', v);
    w.textString(v);
  },
};

/** Encoded-string-value (§7.2.9): Subject, Response-Text, To/Cc/Bcc entries, ... */
export const encoded: Codec = {
  read: (r) => readEncodedString(r),
  write: (w, v) => writeEncodedString(w, v as EncodedStringValue),
};

/** Long-integer (Message-Size, Reply-Charging-Size). */
export const long: Codec = {
  read: (r) => r.longInteger(),
  write: (w, v) => {
    if (typeof v !== 'number') throw invalid('long-integer', v);
    w.longInteger(v);
  },
};

/** Integer-Value (Message-Count, Start, Limit). */
export const integer: Codec = {
  read: (r) => r.integerValue(),
  write: (w, v) => {
    if (typeof v !== 'number') throw invalid('integer', v);
    w.integerValue(v);
  },
};

/** Date-value (Date). */
export const date: Codec = {
  read: (r) => r.date(),
  write: (w, v) => {
    if (!(v instanceof Date)) throw invalid('date', v);
    w.date(v);
  },
};

/** MMS-Version (§7.3.34): Short-integer, major in bits 6-4 and minor in bits 3-0. */
export const version: Codec = {
  read: (r) => versionName(r.shortInteger()),
  write: (w, v) => {
    const octet = typeof v === 'string' ? versionValue(v) : undefined;
    if (octet === undefined) throw invalid('MMS version', v);
    w.shortInteger(octet);
  },
};

/**
 * An enumerated field: octet -> token table; unknown octets stay numbers. With `textual`, a Token-text is
 * accepted too (Message-Class §7.3.27 = Class-identifier | Token-text).
 */
export function enumOf(table: ReadonlyArray<readonly [number, string]>, textual = false): Codec {
  const byOctet: (string | undefined)[] = [];
  const byToken = new Map<string, number>();
  for (const [o, t] of table) {
    byOctet[o] = t;
    byToken.set(t, o);
  }
  return {
    read: (r) => {
      const b = r.peek();
      if (b >= 0x80) {
        r.pos++;
        return byOctet[b] ?? b;
      }
      if (textual && b >= 32) return r.textString();
      return r.fail('BAD_VALUE', `expected one of ${table.map(([, t]) => t).join(', ')}; got 0x${b.toString(16)}`);
    },
    write: (w, v) => {
      if (typeof v === 'number' && v >= 0x80 && v <= 0xff) return w.byte(v);
      if (typeof v === 'string') {
        const o = byToken.get(v);
        if (o !== undefined) return w.byte(o);
        if (textual) return w.textString(v);
      }
      throw invalid('enumerated value', v);
    },
  };
}

/** Expiry, Delivery-Time, Reply-Charging-Deadline: Value-length (Absolute-token Date-value | Relative-token Delta-seconds-value). */
export const time: Codec = {
  read: (r) => {
    const outer = r.enter(r.valueLength());
    const at = r.pos;
    const token = r.byte();
    let v: TimeValue;
    if (token === ABSOLUTE_TOKEN) v = r.date();
    else if (token === RELATIVE_TOKEN) v = r.integerValue();
    else return r.fail('BAD_VALUE', `expected Absolute-token or Relative-token, got 0x${token.toString(16)}`, at);
    r.leave(outer);
    return v;
  },
  write: (w, v) => {
    if (v instanceof Date) {
      const lenAt = w.openLength();
      w.byte(ABSOLUTE_TOKEN);
      w.date(v);
      w.closeLength(lenAt);
    } else if (typeof v === 'number') {
      // Delta-seconds as Long-integer: the form handsets and MMSCs in the field use (also for small values).
      const lenAt = w.openLength();
      w.byte(RELATIVE_TOKEN);
      w.longInteger(v);
      w.closeLength(lenAt);
    } else throw invalid('time value', v);
  },
};

/** From (§7.3.21): Value-length (Address-present-token Encoded-string-value | Insert-address-token). */
export const from: Codec = {
  read: (r) => {
    const outer = r.enter(r.valueLength());
    const at = r.pos;
    const token = r.byte();
    let v: FromValue;
    if (token === INSERT_ADDRESS_TOKEN) v = { insertAddress: true };
    else if (token === ADDRESS_PRESENT_TOKEN) v = readEncodedString(r);
    else return r.fail('BAD_VALUE', `expected Address-present-token or Insert-address-token, got 0x${token.toString(16)}`, at);
    r.leave(outer);
    return v;
  },
  write: (w, v) => {
    const f = v as FromValue;
    const lenAt = w.openLength();
    if (typeof f === 'object' && f !== null && 'insertAddress' in f) w.byte(INSERT_ADDRESS_TOKEN);
    else {
      w.byte(ADDRESS_PRESENT_TOKEN);
      writeEncodedString(w, f);
    }
    w.closeLength(lenAt);
  },
};

/** The content type codec (§7.3.11, WAP-230 8.4.2.24). */
export const contentType: Codec = {
  read: (r) => readContentType(r),
  write: (w, v) => writeContentType(w, v as Parameters<typeof writeContentType>[1]),
};

/** Raw value octets kept as they came (Content, Additional-headers). */
export const raw: Codec = {
  read: (r) => Buffer.from(r.skipValue()),
  write: (w, v) => {
    if (!Buffer.isBuffer(v)) throw invalid('raw value', v);
    w.bytes(v);
  },
};

/**
 * A field that is plain in most PDUs but indexed in M-Mbox-Delete.conf / M-Delete.conf:
 * Value-length Status-count-value <plain value>   (§7.3.10, §7.3.48, §7.3.49).
 * For Content-Location and Response-Status the plain form never starts with a Value-length, so the first
 * octet tells them apart. Response-Text is ambiguous (its charset form starts with one too): the field table
 * uses this codec for it only in those two message types.
 */
export function indexable(plain: Codec): Codec {
  return {
    read: (r) => {
      // 00 is an empty Text-string: a zero Value-length could hold no index.
      if (!r.atValueLength() || r.buf[r.pos] === 0) return plain.read(r);
      const len = r.valueLength();
      return r.within(len, (): Indexed<unknown> => ({ index: r.integerValue(), value: plain.read(r) }));
    },
    write: (w, v) => {
      if (typeof v === 'object' && v !== null && 'index' in v && 'value' in v) {
        const iv = v as Indexed<unknown>;
        w.withLength(() => {
          w.integerValue(iv.index);
          plain.write(w, iv.value);
        });
      } else plain.write(w, v);
    },
  };
}

/** Previously-Sent-By (§7.3.37): Value-length Forwarded-count-value Encoded-string-value. */
export const previouslySentBy: Codec = {
  read: (r) => r.within(r.valueLength(), (): PreviouslySentBy => ({ count: r.integerValue(), address: readEncodedString(r) })),
  write: (w, v) => {
    const p = v as PreviouslySentBy;
    w.withLength(() => {
      w.integerValue(p.count);
      writeEncodedString(w, p.address);
    });
  },
};

/** Previously-Sent-Date (§7.3.38): Value-length Forwarded-count-value Date-value. */
export const previouslySentDate: Codec = {
  read: (r) => r.within(r.valueLength(), (): PreviouslySentDate => ({ count: r.integerValue(), date: r.date() })),
  write: (w, v) => {
    const p = v as PreviouslySentDate;
    w.withLength(() => {
      w.integerValue(p.count);
      w.date(p.date);
    });
  },
};

const flagAction = enumOf(MM_FLAGS_ACTION);
/** MM-Flags (§7.3.32): Value-length (Add-token | Remove-token | Filter-token) Encoded-string-value. */
export const mmFlags: Codec = {
  read: (r) => r.within(r.valueLength(), (): MmFlags => ({ action: flagAction.read(r) as MmFlags['action'], flag: readEncodedString(r) })),
  write: (w, v) => {
    const f = v as MmFlags;
    w.withLength(() => {
      flagAction.write(w, f.action);
      writeEncodedString(w, f.flag);
    });
  },
};

const mboxUnit = enumOf(MBOX_UNIT);
/** Mbox-Totals / Mbox-Quotas (§7.3.28, §7.3.26): Value-length (Message-token | Size-token) Integer-Value. */
export const mboxCount: Codec = {
  read: (r) => r.within(r.valueLength(), (): MboxCount => ({ unit: mboxUnit.read(r) as MboxCount['unit'], value: r.integerValue() })),
  write: (w, v) => {
    const c = v as MboxCount;
    w.withLength(() => {
      mboxUnit.write(w, c.unit);
      w.integerValue(c.value);
    });
  },
};

/** Element-Descriptor (§7.3.18): Value-length Content-Reference-value *(Parameter). */
export const elementDescriptor: Codec = {
  read: (r) =>
    r.within(r.valueLength(), (): ElementDescriptor => {
      const d: ElementDescriptor = { contentReference: r.textString() };
      if (r.pos < r.end) d.params = readParams(r);
      return d;
    }),
  write: (w, v) => {
    const d = v as ElementDescriptor;
    w.withLength(() => {
      w.textString(d.contentReference);
      if (d.params) writeParams(w, d.params);
    });
  },
};
