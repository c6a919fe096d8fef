/**
 * What each subscriber's handset last said of itself on MM1 (x-wap-profile / Profile, User-Agent), shared by
 * every instance through the MediaStore (kind `handset`, by address; the hint as meta, no bytes). A
 * notification is sent before the handset speaks again, so the hint of its last request is what the
 * capability resolver has for it (issue 25: "remembered per subscriber").
 *
 * Handsets send the same headers on every request, so a write happens only when the hint changed (or the
 * record is getting old: it is refreshed once REFRESH_MS has passed, so that an active subscriber's record
 * does not expire), with an in-process cache of what this instance wrote or read.
 */
import type { MediaStore } from '../core/ports.js';
import type { HandsetHint, HandsetMemory } from './capabilities.js';

/** A subscriber's hint is kept this long after its last write. */
export const HANDSET_TTL_MS = 180 * 86_400_000;
/** A hint unchanged is written again after this long (the record's TTL restarts). */
export const HANDSET_REFRESH_MS = 30 * 86_400_000;
/** Addresses whose last written hint this instance remembers, at most (the oldest forgotten first). */
export const HANDSET_CACHE_ENTRIES = 100_000;
/** Longest profile URL and User-Agent kept (header values, bounded before they are stored). */
const MAX_FIELD_CHARS = 1024;

const EMPTY = Buffer.alloc(0);

interface Known {
  profileUrl: string | undefined;
  userAgent: string | undefined;
  /** When the store's record was written (epoch ms). */
  at: number;
}

export interface StoreHandsetMemoryOptions {
  now?: () => number;
  ttlMs?: number;
  refreshMs?: number;
  cacheEntries?: number;
}

export class StoreHandsetMemory implements HandsetMemory {
  private readonly known = new Map<string, Known>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly refreshMs: number;
  private readonly cacheEntries: number;

  constructor(
    private readonly store: MediaStore,
    o: StoreHandsetMemoryOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.ttlMs = o.ttlMs ?? HANDSET_TTL_MS;
    this.refreshMs = o.refreshMs ?? HANDSET_REFRESH_MS;
    this.cacheEntries = o.cacheEntries ?? HANDSET_CACHE_ENTRIES;
  }

  async get(address: string): Promise<HandsetHint | undefined> {
    const record = await this.store.get('handset', address);
    return record ? decode(record.meta) : undefined;
  }

  knows(address: string, hint: HandsetHint): boolean {
    const profileUrl = bound(hint.profileUrl);
    const userAgent = bound(hint.userAgent);
    if (profileUrl === undefined && userAgent === undefined) return true;
    const known = this.known.get(address);
    if (!known || !this.same(known, profileUrl, userAgent, this.now())) return false;
    this.cache(address, known);
    return true;
  }

  async remember(address: string, hint: HandsetHint): Promise<void> {
    const profileUrl = bound(hint.profileUrl);
    const userAgent = bound(hint.userAgent);
    if (profileUrl === undefined && userAgent === undefined) return; // a request that says nothing changes nothing
    let known = this.known.get(address);
    if (known === undefined) {
      const stored = await this.get(address);
      if (stored) known = { profileUrl: stored.profileUrl, userAgent: stored.userAgent, at: stored.at };
    }
    const at = this.now();
    if (known && this.same(known, profileUrl, userAgent, at)) {
      this.cache(address, known);
      return;
    }
    const next: HandsetHint = { at };
    if (profileUrl !== undefined) next.profileUrl = profileUrl;
    if (userAgent !== undefined) next.userAgent = userAgent;
    await this.store.put('handset', address, { meta: JSON.stringify(next), bytes: EMPTY }, this.ttlMs);
    this.cache(address, { profileUrl, userAgent, at });
  }

  /** The record says this hint and is not due for its refresh. */
  private same(known: Known, profileUrl: string | undefined, userAgent: string | undefined, at: number): boolean {
    return known.profileUrl === profileUrl && known.userAgent === userAgent && at - known.at < this.refreshMs;
  }

  /** Bounded: a Map keeps insertion order, so the first key is the one cached longest ago. */
  private cache(address: string, k: Known): void {
    this.known.delete(address);
    this.known.set(address, k);
    if (this.known.size > this.cacheEntries) this.known.delete(this.known.keys().next().value as string);
  }
}

function bound(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t.slice(0, MAX_FIELD_CHARS);
}

/** A stored hint, or undefined when the record is not one (never trusted blindly: another version may have written it). */
function decode(meta: string): HandsetHint | undefined {
  try {
    const r = JSON.parse(meta) as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object' || typeof r.at !== 'number') return undefined;
    const hint: HandsetHint = { at: r.at };
    if (typeof r.profileUrl === 'string') hint.profileUrl = r.profileUrl;
    if (typeof r.userAgent === 'string') hint.userAgent = r.userAgent;
    return hint;
  } catch {
    return undefined;
  }
}
