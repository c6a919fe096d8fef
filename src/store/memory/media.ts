import type { MediaRecord, MediaRecordKind, MediaStore } from '../../core/ports.js';

/** Bytes of media kept at most, by default: the embedded store is for development, one process. */
export const MEMORY_MEDIA_MAX_BYTES = 64 * 1024 * 1024;

interface Entry {
  record: MediaRecord;
  until: number;
}

/**
 * Media records in this process. Bounded by the bytes they hold: when a new record would go over `maxBytes`,
 * the oldest written go first (expired ones are dropped when met). A record larger than the bound is not kept.
 */
export class MemoryMediaStore implements MediaStore {
  private readonly records = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxBytes = MEMORY_MEDIA_MAX_BYTES,
  ) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  }

  async put(kind: MediaRecordKind, key: string, record: MediaRecord, ttlMs: number): Promise<void> {
    const k = `${kind}\u0000${key}`;
    this.drop(k);
    const size = sizeOf(record);
    if (size > this.maxBytes) return;
    const now = this.now();
    for (const [old, e] of this.records) {
      if (e.until > now && this.bytes + size <= this.maxBytes) break;
      this.drop(old);
    }
    this.records.set(k, { record: { meta: record.meta, bytes: Buffer.from(record.bytes) }, until: now + ttlMs });
    this.bytes += size;
  }

  async get(kind: MediaRecordKind, key: string): Promise<MediaRecord | undefined> {
    const k = `${kind}\u0000${key}`;
    const e = this.records.get(k);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.drop(k);
      return undefined;
    }
    return { meta: e.record.meta, bytes: e.record.bytes };
  }

  async touch(kind: MediaRecordKind, key: string, meta: string, ttlMs: number): Promise<boolean> {
    const k = `${kind}\u0000${key}`;
    const e = this.records.get(k);
    if (!e || e.until <= this.now()) {
      this.drop(k);
      return false;
    }
    this.bytes += meta.length - e.record.meta.length;
    e.record = { meta, bytes: e.record.bytes };
    e.until = this.now() + ttlMs;
    return true;
  }

  async delete(kind: MediaRecordKind, key: string): Promise<void> {
    this.drop(`${kind}\u0000${key}`);
  }

  /** Bytes held now (expired records not swept yet included). */
  get size(): number {
    return this.bytes;
  }

  private drop(k: string): void {
    const e = this.records.get(k);
    if (!e) return;
    this.bytes -= sizeOf(e.record);
    this.records.delete(k);
  }
}

const sizeOf = (r: MediaRecord) => r.bytes.length + r.meta.length;
