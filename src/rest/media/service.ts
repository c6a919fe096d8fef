import { randomBytes } from 'node:crypto';
import type { MediaStore } from '../../core/ports.js';
import type { MediaApiConfig } from '../../ops/config-api.js';
import type { VaspConfig } from '../../ops/config.js';
import type { Logger } from '../../ops/logger.js';
import type { Metrics } from '../../ops/metrics.js';
import type { OutboundGuard } from '../../transport/outbound-guard.js';
import { cachePolicy } from './cache-policy.js';
import { fetchMedia, MediaFetchError } from './fetch.js';
import { checkMediaType, declaredType, MediaTypeError } from '../../core/media-type.js';
import { clip } from '../../transport/outbound-guard.js';
import {
  type MediaFailure,
  type MediaInfo,
  type MediaRef,
  type MediaService,
  type MediaUpload,
  type MediaUploads,
  MediaUnavailableError,
  type ResolvedMedia,
} from './types.js';

export interface MediaHostOptions {
  store: MediaStore;
  /** The gateway's guard (outbound.allow); an account's mediaUrlAllow widens it for that account's fetches only. */
  guard: OutboundGuard;
  /** `api.media`, read at each use (a reload's new values apply to the next fetch). */
  config: () => MediaApiConfig;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
  /** For https: media servers in tests: the CA to trust (else the system's). */
  ca?: string | Buffer;
}

/** What the store keeps beside an upload's bytes. */
interface UploadMeta {
  owner: string;
  contentType: string;
  filename?: string;
  expiresAt: number;
}

/** What the store keeps beside a fetched URL's bytes (per account: see `cacheKey`). */
interface CachedMeta {
  /** The server's Content-Type (the declared type when a message declares none). */
  serverType?: string;
  etag?: string;
  lastModified?: string;
  /** Reused without a request until then (ms). */
  freshUntil: number;
}

const UPLOAD_ID = /^med_[A-Za-z0-9_-]{22}$/;

/**
 * Media for the sender's API: URLs fetched through the account's outbound guard, sniffed and re-hosted in
 * the store by URL (revalidated by their caching headers), and uploads by id. The cache is per account: an
 * account's allow-list (mediaUrlAllow) may let it reach a URL that another account may not, and a copy fetched
 * for one must not reach the other without its own guard's check; the key is also the account's privacy
 * (one sender cannot learn by timing which URLs another sends).
 */
export class MediaHost implements MediaService, MediaUploads {
  private readonly guards = new WeakMap<readonly string[], OutboundGuard>();
  private readonly inflight = new Map<string, Promise<{ bytes: Buffer; serverType: string | undefined }>>();
  private readonly now: () => number;

  constructor(private readonly o: MediaHostOptions) {
    this.now = o.now ?? Date.now;
  }

  get maxFileBytes(): number {
    return this.o.config().maxFileBytes;
  }

  async resolve(vasp: VaspConfig, refs: readonly MediaRef[], budget: number): Promise<ResolvedMedia[]> {
    const out: ResolvedMedia[] = [];
    let left = budget;
    for (const ref of refs) {
      const media = await this.resolveOne(vasp, ref, left).catch((err: unknown) => {
        if (err instanceof MediaUnavailableError) {
          this.o.metrics.mediaFetches.inc({ outcome: err.reason });
          this.o.log.info({ vasp: vasp.id, reason: err.reason, detail: err.message }, 'media unavailable');
        }
        throw err;
      });
      left -= media.bytes.length;
      out.push(media);
    }
    return out;
  }

  async upload(vasp: VaspConfig, upload: MediaUpload): Promise<MediaInfo> {
    const c = this.o.config();
    const mediaId = `med_${randomBytes(16).toString('base64url')}`;
    if (upload.bytes.length > c.maxFileBytes)
      throw new MediaUnavailableError(mediaId, 'too-large', `the upload is over the file limit of ${c.maxFileBytes} bytes`);
    const contentType = await this.checkType(mediaId, upload.bytes, upload.contentType);
    const meta: UploadMeta = { owner: vasp.id, contentType, expiresAt: this.now() + c.uploadTtlMs };
    if (upload.filename !== undefined) meta.filename = upload.filename;
    await this.o.store.put('upload', mediaId, { meta: JSON.stringify(meta), bytes: upload.bytes }, c.uploadTtlMs);
    return info(mediaId, meta, upload.bytes.length);
  }

  async info(vasp: VaspConfig, mediaId: string): Promise<MediaInfo | undefined> {
    const found = await this.ownUpload(vasp, mediaId);
    return found && info(mediaId, found.meta, found.bytes.length);
  }

  private async ownUpload(vasp: VaspConfig, mediaId: string): Promise<{ meta: UploadMeta; bytes: Buffer } | undefined> {
    if (!UPLOAD_ID.test(mediaId)) return undefined;
    const record = await this.o.store.get('upload', mediaId);
    if (!record) return undefined;
    const meta = JSON.parse(record.meta) as UploadMeta;
    // Another account's upload is not found either (ids are not secrets a sender must keep).
    if (meta.owner !== vasp.id || meta.expiresAt <= this.now()) return undefined;
    return { meta, bytes: record.bytes };
  }

  private async resolveOne(vasp: VaspConfig, ref: MediaRef, left: number): Promise<ResolvedMedia> {
    if (ref.source.startsWith('med_')) {
      const found = await this.ownUpload(vasp, ref.source);
      if (!found) throw new MediaUnavailableError(ref.source, 'unknown-media-id', `no upload ${clip(ref.source)} of this account`);
      this.within(ref.source, found.bytes.length, left);
      const contentType =
        ref.contentType === undefined ? found.meta.contentType : await this.checkType(ref.source, found.bytes, ref.contentType);
      const filename = ref.filename ?? found.meta.filename;
      return { source: ref.source, contentType, bytes: found.bytes, ...(filename !== undefined ? { filename } : {}) };
    }
    const guard = this.guardOf(vasp);
    let url: URL;
    try {
      url = guard.checkUrl(ref.source);
    } catch (err) {
      throw new MediaUnavailableError(ref.source, 'refused-address', (err as Error).message);
    }
    const key = `${vasp.id} ${url.href}`;
    // One fetch at a time per account and URL: a burst of messages naming the same URL shares it.
    let pending = this.inflight.get(key);
    if (pending) this.o.metrics.mediaFetches.inc({ outcome: 'cached' });
    else {
      pending = this.obtain(ref.source, url, guard, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const { bytes, serverType } = await pending;
    this.within(ref.source, bytes.length, left);
    const contentType = await this.checkType(ref.source, bytes, ref.contentType ?? serverType);
    const filename = ref.filename ?? lastSegment(url);
    return { source: ref.source, contentType, bytes, ...(filename !== undefined ? { filename } : {}) };
  }

  /** The URL's bytes: the account's fresh copy, a stale one revalidated, or fetched (and kept when its headers allow). */
  private async obtain(
    source: string,
    url: URL,
    guard: OutboundGuard,
    key: string,
  ): Promise<{ bytes: Buffer; serverType: string | undefined }> {
    const c = this.o.config();
    const cached = c.cacheTtlMs > 0 ? await this.o.store.get('url', key) : undefined;
    const meta = cached && (JSON.parse(cached.meta) as CachedMeta);
    let bytes: Buffer;
    let serverType: string | undefined;
    if (cached && meta && meta.freshUntil > this.now()) {
      this.o.metrics.mediaFetches.inc({ outcome: 'cached' });
      ({ bytes } = cached);
      serverType = meta.serverType;
    } else {
      // The file cap only: a fetch shared by several messages is not cut to one message's budget (each checks its own after).
      const result = await fetchMedia(url.href, {
        guard,
        maxRedirects: c.maxRedirects,
        timeoutMs: c.timeoutMs,
        maxBytes: c.maxFileBytes,
        limitText: `the file limit of ${c.maxFileBytes} bytes`,
        ...(cached && meta ? { validators: { etag: meta.etag, lastModified: meta.lastModified } } : {}),
        ...(this.o.ca !== undefined ? { ca: this.o.ca } : {}),
      }).catch((err: unknown) => {
        if (err instanceof MediaFetchError) throw new MediaUnavailableError(source, err.reason, err.message);
        throw err;
      });
      if (result.kind === 'not-modified' && cached && meta) {
        this.o.metrics.mediaFetches.inc({ outcome: 'revalidated' });
        ({ bytes } = cached);
        serverType = meta.serverType;
        // The 304's headers update the stored ones (RFC 9111 §4.3.4).
        const policy = cachePolicy(result.headers, this.now());
        const next: CachedMeta = { ...meta, freshUntil: this.now() + policy.freshForMs };
        if (policy.etag !== undefined) next.etag = policy.etag;
        if (policy.lastModified !== undefined) next.lastModified = policy.lastModified;
        await this.o.store.touch('url', key, JSON.stringify(next), c.cacheTtlMs);
      } else if (result.kind === 'fetched') {
        this.o.metrics.mediaFetches.inc({ outcome: 'fetched' });
        this.o.metrics.mediaFetchBytes.inc(result.bytes.length);
        bytes = result.bytes;
        serverType = declaredType(headerText(result.headers['content-type']));
        await this.remember(key, result.headers, bytes, serverType, c.cacheTtlMs);
      } else {
        throw new MediaUnavailableError(source, 'http-error', `${clip(url.href)} answered 304 to a request that was not conditional`);
      }
    }
    return { bytes, serverType };
  }

  /** A fetched body kept by its URL, when its caching headers let it be reused. */
  private async remember(
    key: string,
    headers: Parameters<typeof cachePolicy>[0],
    bytes: Buffer,
    serverType: string | undefined,
    ttlMs: number,
  ): Promise<void> {
    if (ttlMs <= 0) return;
    const policy = cachePolicy(headers, this.now());
    if (!policy.store) return void (await this.o.store.delete('url', key));
    const meta: CachedMeta = { freshUntil: this.now() + Math.min(policy.freshForMs, ttlMs) };
    if (serverType !== undefined) meta.serverType = serverType;
    if (policy.etag !== undefined) meta.etag = policy.etag;
    if (policy.lastModified !== undefined) meta.lastModified = policy.lastModified;
    await this.o.store.put('url', key, { meta: JSON.stringify(meta), bytes }, ttlMs);
  }

  private within(source: string, size: number, left: number): void {
    const max = this.o.config().maxFileBytes;
    if (size > max)
      throw new MediaUnavailableError(source, 'too-large', `${clip(source)} is ${size} bytes, over the file limit of ${max} bytes`);
    if (size > left)
      throw new MediaUnavailableError(
        source,
        'too-large',
        `${clip(source)} is ${size} bytes, over the ${Math.max(0, left)} bytes left for this message`,
      );
  }

  private async checkType(source: string, bytes: Buffer, declared: string | undefined): Promise<string> {
    try {
      return await checkMediaType(bytes, declared, this.o.config().allowedTypes);
    } catch (err) {
      if (err instanceof MediaTypeError) throw new MediaUnavailableError(source, err.reason, err.message);
      throw err;
    }
  }

  /** The account's guard: the gateway's, widened by its mediaUrlAllow (made once per list). */
  private guardOf(vasp: VaspConfig): OutboundGuard {
    const extra = vasp.mediaUrlAllow;
    if (!extra || extra.length === 0) return this.o.guard;
    let guard = this.guards.get(extra);
    if (!guard) {
      guard = this.o.guard.withAllow(extra);
      this.guards.set(extra, guard);
    }
    return guard;
  }
}

function info(mediaId: string, meta: UploadMeta, size: number): MediaInfo {
  return { mediaId, contentType: meta.contentType, size, expiresAt: new Date(meta.expiresAt).toISOString() };
}

/** The URL's last path segment, decoded: the part's name when the sender gives none. */
function lastSegment(url: URL): string | undefined {
  const seg = url.pathname.split('/').pop();
  if (!seg) return undefined;
  try {
    return decodeURIComponent(seg).slice(0, 100) || undefined;
  } catch {
    return seg.slice(0, 100);
  }
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export type { MediaFailure };
