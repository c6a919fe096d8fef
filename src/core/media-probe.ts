/**
 * What the type check of a part (media-type.ts) needs of its bytes, recorded while they stream in, so that
 * no part is read back from the store to be checked (issue 25): the first PROBE_BYTES bytes (file-type
 * reads at most that much of a buffer for its magic numbers), the size, and whether the whole part is valid
 * UTF-8 and has no NUL (what a text part must be).
 */

/** Bytes file-type's magic numbers need (its documented minimum sample: "the first 4100 bytes"). */
export const PROBE_BYTES = 4100;

export interface MediaProbe {
  /** The part's first bytes, at most PROBE_BYTES. */
  readonly head: Uint8Array;
  /** Bytes of the whole part. */
  readonly size: number;
  /** The whole part is valid UTF-8 (RFC 3629), a sequence cut at the end included. */
  readonly utf8: boolean;
  /** The part has a NUL byte somewhere (no text part has: it is what binary data looks like). */
  readonly nul: boolean;
}

/** The probe of a part whose bytes are all at hand. */
export function probeOf(bytes: Uint8Array): MediaProbe {
  const r = new ProbeRecorder();
  r.write(bytes);
  return r.probe();
}

/**
 * Records one part's probe from its pieces, in order: a copy of at most PROBE_BYTES, a running UTF-8 check
 * (a streaming fatal TextDecoder: a sequence split between pieces is whole again; it stops at the first bad
 * byte, which in binary media comes at once) and a NUL scan. Used by both store backends' content stages.
 */
export class ProbeRecorder {
  private readonly head = Buffer.allocUnsafe(PROBE_BYTES);
  private fill = 0;
  private size = 0;
  private utf8 = true;
  private nul = false;
  private decoder: TextDecoder | undefined = new TextDecoder('utf-8', { fatal: true });
  private done: MediaProbe | undefined;

  write(bytes: Uint8Array): void {
    if (this.done) throw new Error('probe of a part written after it ended');
    this.size += bytes.length;
    if (this.fill < PROBE_BYTES) {
      const n = Math.min(bytes.length, PROBE_BYTES - this.fill);
      this.head.set(bytes.subarray(0, n), this.fill);
      this.fill += n;
    }
    if (!this.nul && bytes.includes(0)) this.nul = true;
    if (this.decoder) {
      try {
        this.decoder.decode(bytes, { stream: true });
      } catch {
        this.failUtf8();
      }
    }
  }

  /** The probe of what was written; the part ends with the first call (a cut UTF-8 sequence is invalid). */
  probe(): MediaProbe {
    if (this.done) return this.done;
    if (this.decoder) {
      try {
        this.decoder.decode();
      } catch {
        this.failUtf8();
      }
    }
    this.decoder = undefined;
    this.done = { head: Buffer.from(this.head.subarray(0, this.fill)), size: this.size, utf8: this.utf8, nul: this.nul };
    return this.done;
  }

  private failUtf8(): void {
    this.utf8 = false;
    this.decoder = undefined;
  }
}
