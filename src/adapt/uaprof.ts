/**
 * UAProf documents by URL (OMA-TS-UAProf-V2_0 §9: the profile a handset names in x-wap-profile / Profile),
 * for the capability resolver. A URL is chosen by the handset, so it is hostile twice over: where it points
 * (fetched through the OutboundGuard like media by URL, by the media fetcher itself: pinned addresses, each
 * redirect checked, one deadline, a byte cap) and what it answers (parseUaProf: no DTD, bounded counts).
 *
 * Delivery must not wait on a profile server: `lookup` answers within `waitMs` (undefined when the profile is
 * not known by then) while the fetch goes on to its own `timeoutMs` and stores its outcome; a failure is
 * remembered for `failureTtlMs`, so a dead or hostile server costs one fetch per that period, not one per
 * message. Concurrent lookups of one URL (in this process) share one fetch. Outcomes are shared by every
 * instance through the MediaStore (kind `uaprof`, by URL).
 */
import type { Logger } from '../ops/logger.js';
import type { ContentMetrics } from '../ops/metrics-content.js';
import type { UaProfConfig } from '../ops/config-content.js';
import type { MediaStore } from '../core/ports.js';
import { fetchMedia, MediaFetchError } from '../rest/media/fetch.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { clip } from '../transport/outbound-guard.js';
import { parseUaProf } from '../../protocols/uaprof/parse.js';
import { UaProfError, type UaProfile } from '../../protocols/uaprof/model.js';
import type { ProfileSource } from './capabilities.js';

/** How a fetch ended, as counted in metrics.content.uaprofFetches{result} (with `cached` for store hits). */
export type UaProfFetchResult = 'ok' | 'failed' | 'timeout' | 'too-large' | 'malformed' | 'refused';

/** What the store keeps per URL: the parsed profile, or why there is none (until failureTtlMs has passed). */
export type UaProfRecord =
  | { v: 1; ok: true; at: number; profile: UaProfile }
  | { v: 1; ok: false; at: number; result: Exclude<UaProfFetchResult, 'ok'>; reason: string };

export interface UaProfilesOptions {
  store: MediaStore;
  /** The gateway's outbound guard (outbound.allow): the same check as media by URL. */
  guard: OutboundGuard;
  /** content.uaprof with its defaults (uaprofConfig()). */
  config: UaProfConfig;
  metrics?: ContentMetrics;
  log?: Logger;
  /**
   * Fetches in progress at most (distinct URLs): a handset naming a new URL on every request must not make the
   * gateway hold a socket per request for timeoutMs. Over it a lookup answers "not known" and stores nothing
   * (the next lookup tries again). Default 16.
   */
  maxConcurrent?: number;
  /** Redirects followed at most. Default 3. */
  maxRedirects?: number;
  now?: () => number;
  /** For https: profile URLs in tests: the CA to trust. */
  ca?: string | Buffer;
}

/** Profile URLs longer than this are not fetched (a header value, not a document). */
const MAX_URL_CHARS = 1024;
const EMPTY = Buffer.alloc(0);

export class UaProfiles implements ProfileSource {
  private readonly inFlight = new Map<string, Promise<UaProfile | undefined>>();
  /** Fetches on the network now (lookups answered from the store are not counted). */
  private fetching = 0;
  private readonly now: () => number;

  constructor(private readonly o: UaProfilesOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * The profile at `url`, from the store, else fetched: whatever is known within `waitMs` (undefined: not
   * fetched yet, failed, or fetching is off). Never throws: a broken store or URL is "not known".
   */
  async lookup(url: string): Promise<UaProfile | undefined> {
    if (!this.o.config.fetch) return undefined;
    const key = normalise(url);
    if (key === undefined) {
      this.o.log?.debug({ url: clip(url) }, 'uaprof: not an http(s) URL, not fetched');
      return undefined;
    }
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.resolveUrl(key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return within(pending, this.o.config.waitMs);
  }

  /** Settles when every fetch in progress has ended and stored its outcome (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** The stored outcome for `url`, else a fetch whose outcome is stored. Never rejects. */
  private async resolveUrl(url: string): Promise<UaProfile | undefined> {
    try {
      const stored = await this.o.store.get('uaprof', url);
      const record = stored ? decode(stored.meta) : undefined;
      if (record) {
        this.o.metrics?.uaprofFetches.inc({ result: 'cached' });
        return record.ok ? record.profile : undefined;
      }
    } catch (err) {
      this.o.log?.warn({ err: (err as Error).message }, 'uaprof: the store could not be read; fetching');
    }
    if (this.fetching >= (this.o.maxConcurrent ?? 16)) {
      this.o.log?.debug({ url: clip(url), fetching: this.fetching }, 'uaprof: too many fetches in progress; not fetched now');
      return undefined;
    }
    this.fetching++;
    const record = await this.fetch(url).finally(() => this.fetching--);
    this.o.metrics?.uaprofFetches.inc({ result: record.ok ? 'ok' : record.result });
    const ttl = record.ok ? this.o.config.ttlMs : this.o.config.failureTtlMs;
    try {
      await this.o.store.put('uaprof', url, { meta: JSON.stringify(record), bytes: EMPTY }, ttl);
    } catch (err) {
      this.o.log?.warn({ err: (err as Error).message }, 'uaprof: the outcome could not be stored');
    }
    return record.ok ? record.profile : undefined;
  }

  /** One fetch and parse, its outcome as a record (every failure caught and classified). */
  private async fetch(url: string): Promise<UaProfRecord> {
    const c = this.o.config;
    const at = this.now();
    const failed = (result: Exclude<UaProfFetchResult, 'ok'>, reason: string): UaProfRecord => {
      this.o.log?.info({ url: clip(url), result, reason: clip(reason) }, 'uaprof: profile not had');
      return { v: 1, ok: false, at, result, reason: clip(reason) };
    };
    let bytes: Buffer;
    try {
      const got = await fetchMedia(url, {
        guard: this.o.guard,
        maxRedirects: this.o.maxRedirects ?? 3,
        timeoutMs: c.timeoutMs,
        maxBytes: c.maxBytes,
        limitText: `the UAProf limit of ${c.maxBytes} bytes`,
        head: false,
        unknownLength: 'read-capped',
        ...(this.o.ca !== undefined ? { ca: this.o.ca } : {}),
      });
      if (got.kind !== 'fetched') return failed('failed', 'not modified, with no copy to keep');
      bytes = got.bytes;
    } catch (err) {
      if (!(err instanceof MediaFetchError)) return failed('failed', (err as Error).message);
      if (err.reason === 'refused-address') return failed('refused', err.message);
      if (err.reason === 'timeout') return failed('timeout', err.message);
      if (err.reason === 'too-large') return failed('too-large', err.message);
      return failed('failed', err.message);
    }
    try {
      const profile = parseUaProf(bytes, { maxBytes: c.maxBytes });
      this.o.log?.debug({ url: clip(url), hasMms: profile.hasMms }, 'uaprof: profile fetched');
      return { v: 1, ok: true, at, profile };
    } catch (err) {
      if (!(err instanceof UaProfError)) return failed('malformed', (err as Error).message);
      return failed(err.code === 'uaprof-too-large' ? 'too-large' : 'malformed', `${err.code}: ${err.message}`);
    }
  }
}

/** The URL as the store's key (WHATWG-normalised, fragment dropped), or undefined when it cannot be one. */
function normalise(url: string): string | undefined {
  if (url.length > MAX_URL_CHARS) return undefined;
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    u.hash = '';
    return u.href;
  } catch {
    return undefined;
  }
}

/** A stored record, or undefined when it is not one of ours (an older shape: fetched again). */
function decode(meta: string): UaProfRecord | undefined {
  try {
    const r = JSON.parse(meta) as Partial<UaProfRecord> | null;
    if (r === null || typeof r !== 'object' || r.v !== 1) return undefined;
    if (r.ok === true && typeof r.profile === 'object' && r.profile !== null) return r as UaProfRecord;
    if (r.ok === false) return r as UaProfRecord;
    return undefined;
  } catch {
    return undefined;
  }
}

/** `p`'s value if it comes within `ms`, else undefined (`p` goes on). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
