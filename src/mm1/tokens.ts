import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token names: one recipient's copy (retrieval, transaction ids) or the whole message (web view). */
export type TokenTarget = { kind: 'retrieve'; messageId: string; recipientIndex: number } | { kind: 'view'; messageId: string };

/** 72 bits: guessing a token online is hopeless, and the notification push must fit one SMS. */
const MAC_BYTES = 9;
/** newMessageId's form (core/message-id.ts): base-36 time, '-', 16 hex digits; packed into 14 bytes. */
const COMPACT_ID = /^([0-9a-z]{1,10})-([0-9a-f]{16})$/;
const TAG = { retrieveCompact: 1, retrieveText: 2, viewCompact: 3, viewText: 4 } as const;

/**
 * Unguessable, stateless tokens for handset-facing URLs: the target packed in binary and a truncated
 * HMAC-SHA256 of it under the deployment's secret, in base64url. Every instance that shares the secret can
 * check any token without a store lookup. A token does not expire by itself: the message it names does, and
 * the server answers for an expired message accordingly.
 *
 * Size matters: the m-notification-ind carries the retrieval URL and the Transaction-ID, and the push should
 * fit one SMS (140 octets with the WDP and WSP headers). So a Message-ID of the gateway's own form is packed
 * (a retrieval token is 34 characters), and the Transaction-ID is the target without the MAC (22
 * characters): it only correlates the handset's answers, which the server also checks against the
 * subscriber the operator's gateway names.
 */
export class Tokens {
  private readonly secret: Buffer;

  constructor(secret: string | Buffer) {
    this.secret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    if (this.secret.length < 16) throw new RangeError('token secret must be at least 16 bytes');
  }

  /** The token in a notification's Content-Location. */
  retrieval(messageId: string, recipientIndex: number): string {
    return this.seal(pack('retrieve', messageId, recipientIndex));
  }

  /** The Transaction-ID of a recipient's notification and m-retrieve-conf. */
  transaction(messageId: string, recipientIndex: number): string {
    return pack('retrieve', messageId, recipientIndex).toString('base64url');
  }

  /** The token in the SMS fallback's link to the web view. */
  view(messageId: string): string {
    return this.seal(pack('view', messageId, 0));
  }

  /** The target of a token this deployment issued; undefined for anything else (forged, truncated, garbage). */
  open(token: string): TokenTarget | undefined {
    const payload = this.verified(token);
    return payload && unpack(payload);
  }

  /**
   * The copy a retrieval token names, with its Transaction-ID: the token's payload, as `transaction` makes it
   * for the notification (so no second packing of the Message-ID per retrieval). Undefined for anything but a
   * retrieval token this deployment issued.
   */
  openRetrieval(token: string): { messageId: string; recipientIndex: number; transactionId: string } | undefined {
    const payload = this.verified(token);
    const t = payload && unpack(payload);
    if (t?.kind !== 'retrieve') return undefined;
    return { messageId: t.messageId, recipientIndex: t.recipientIndex, transactionId: payload!.toString('base64url') };
  }

  /** The copy a Transaction-ID names (no MAC: the caller checks the subscriber). */
  openTransaction(transactionId: string): { messageId: string; recipientIndex: number } | undefined {
    if (transactionId.length > 400 || !/^[A-Za-z0-9_-]+$/.test(transactionId)) return undefined;
    const raw = Buffer.from(transactionId, 'base64url');
    if (raw.toString('base64url') !== transactionId) return undefined;
    const t = unpack(raw);
    return t?.kind === 'retrieve' ? t : undefined;
  }

  /** The payload of a token whose MAC holds, in its canonical spelling only; else undefined. */
  private verified(token: string): Buffer | undefined {
    if (token.length > 400 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, 'base64url');
    // Only the canonical spelling: base64 decoding ignores trailing bits and characters that fill no byte.
    if (raw.length <= MAC_BYTES || raw.toString('base64url') !== token) return undefined;
    const payload = raw.subarray(0, raw.length - MAC_BYTES);
    return timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(payload)) ? payload : undefined;
  }

  private seal(payload: Buffer): string {
    return Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

function pack(kind: TokenTarget['kind'], messageId: string, recipientIndex: number): Buffer {
  const m = COMPACT_ID.exec(messageId);
  const index = kind === 'retrieve' ? varint(recipientIndex) : Buffer.alloc(0);
  if (m) {
    const time = Buffer.alloc(7);
    time.writeUIntBE(parseInt(m[1]!, 36), 1, 6);
    // Only when the base-36 form round-trips (no leading zeros, within 48 bits).
    if (parseInt(m[1]!, 36).toString(36) === m[1] && parseInt(m[1]!, 36) < 2 ** 48) {
      time[0] = kind === 'retrieve' ? TAG.retrieveCompact : TAG.viewCompact;
      return Buffer.concat([time, Buffer.from(m[2]!, 'hex'), index]);
    }
  }
  return Buffer.concat([Buffer.from([kind === 'retrieve' ? TAG.retrieveText : TAG.viewText]), index, Buffer.from(messageId, 'utf8')]);
}

function unpack(p: Buffer): TokenTarget | undefined {
  const tag = p[0];
  if (tag === TAG.retrieveCompact || tag === TAG.viewCompact) {
    if (p.length < 15) return undefined;
    const messageId = `${p.readUIntBE(1, 6).toString(36)}-${p.subarray(7, 15).toString('hex')}`;
    if (tag === TAG.viewCompact) return p.length === 15 ? { kind: 'view', messageId } : undefined;
    const index = readVarint(p, 15);
    return index && index.end === p.length ? { kind: 'retrieve', messageId, recipientIndex: index.value } : undefined;
  }
  if (tag === TAG.viewText) return p.length > 1 ? { kind: 'view', messageId: p.subarray(1).toString('utf8') } : undefined;
  if (tag === TAG.retrieveText) {
    const index = readVarint(p, 1);
    return index && index.end < p.length
      ? { kind: 'retrieve', messageId: p.subarray(index.end).toString('utf8'), recipientIndex: index.value }
      : undefined;
  }
  return undefined;
}

/** Unsigned LEB128 (recipient indexes are small: one byte up to 127). */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
}

function readVarint(p: Buffer, at: number): { value: number; end: number } | undefined {
  let value = 0;
  for (let i = 0; i < 3; i++) {
    const b = p[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 128 ** i;
    if ((b & 0x80) === 0) return { value, end: at + i + 1 };
  }
  return undefined;
}
