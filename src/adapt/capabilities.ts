import { createHash } from 'node:crypto';

/** What decided a recipient's capabilities (issue 25's resolution order: the first that knows, bounded by the route). */
export type CapabilitySource = 'route' | 'uaprof' | 'user-agent' | 'default';

/**
 * What a recipient can be sent: the handset's limits (UAProf, a User-Agent class, or the default) bounded by
 * the carrier or route cap. Plain JSON: it is logged and kept with adapted content.
 */
export interface Capabilities {
  /** Largest message, in bytes (the content: parts and SMIL). */
  maxMessageBytes: number;
  maxImageWidth: number;
  maxImageHeight: number;
  /** Media types taken: `type/subtype` or `type/*`, lower case. */
  contentTypes: readonly string[];
  /** Charsets the handset takes for text (UAProf MmsCcppAcceptCharSet); unset = UTF-8 assumed. */
  charsets?: readonly string[];
  /** MMS versions the handset speaks (UAProf MmsVersion), e.g. ['1.2']. */
  mmsVersions?: readonly string[];
  /** The handset takes no MMS at all (a UAProf without MMS characteristics): the SMS fallback instead. */
  textOnly?: boolean;
  /** What decided the handset side of these limits. */
  source: CapabilitySource;
  /** The route cap lowered some limit. */
  routeCapped?: boolean;
}

/** Whether `type` (lower case, no parameters) is one of `types` (`type/subtype` or `type/*`). */
export function takesType(types: readonly string[], type: string): boolean {
  const t = type.toLowerCase();
  return types.some((x) => (x.endsWith('/*') ? t.startsWith(x.slice(0, -1)) : x === t));
}

/**
 * The capability class: recipients whose limits are equal share one adaptation of a message (issue 25:
 * "once per (content, capability class)"). Only what changes the adapted bytes is in it (not `source`).
 * A short stable id: 16 characters of base64url SHA-256 over the canonical form.
 */
export function capabilityClass(c: Capabilities): string {
  const canonical = JSON.stringify([
    c.maxMessageBytes,
    c.maxImageWidth,
    c.maxImageHeight,
    [...c.contentTypes].map((t) => t.toLowerCase()).sort(),
    c.charsets ? [...c.charsets].map((s) => s.toLowerCase()).sort() : null,
    c.textOnly === true,
  ]);
  // A deployment has a handful of classes, asked for on every retrieval: each hashed once.
  let key = CLASS_KEYS.get(canonical);
  if (key === undefined) {
    key = createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
    if (CLASS_KEYS.size >= CLASS_KEYS_MAX) CLASS_KEYS.delete(CLASS_KEYS.keys().next().value!);
    CLASS_KEYS.set(canonical, key);
  }
  return key;
}

/** Canonical forms -> class ids, the oldest forgotten beyond CLASS_KEYS_MAX (UAProf classes can be many). */
const CLASS_KEYS = new Map<string, string>();
const CLASS_KEYS_MAX = 1_000;

/** What a subscriber's handset last said of itself on MM1 (x-wap-profile / Profile, User-Agent): kept per subscriber. */
export interface HandsetHint {
  /** The first profile URL of the x-wap-profile (or Profile) header, unquoted. */
  profileUrl?: string;
  userAgent?: string;
  /** When it was seen (epoch ms). */
  at: number;
}

/** The handset hints of subscribers, shared by every instance (src/adapt/handset-memory.ts: MediaStore kind `handset`). */
export interface HandsetMemory {
  get(address: string): Promise<HandsetHint | undefined>;
  /** Remember what a request said; a write only when it differs from what is known. */
  remember(address: string, hint: HandsetHint): Promise<void>;
  /**
   * True when `remember(address, hint)` would neither read nor write the store (this process knows the
   * subscriber's record says so, and it is fresh); it then counts as remembered. Optional: without it every
   * hint goes through `remember`.
   */
  knows?(address: string, hint: HandsetHint): boolean;
}

/**
 * UAProf documents by URL (src/adapt/uaprof.ts): fetched through the outbound guard, cached in the store.
 * Answers within `content.uaprof.waitMs`: undefined when the profile is not known (yet: the fetch goes on and
 * is cached for the next lookup; or it failed and the failure is remembered for failureTtlMs).
 */
export interface ProfileSource {
  lookup(url: string): Promise<import('../../protocols/uaprof/model.js').UaProfile | undefined>;
}

/**
 * A recipient's capabilities (src/adapt/resolve.ts), in issue 25's order: the handset's (UAProf, else a
 * User-Agent class, else the default), bounded by the route cap of the peer it is routed to and of its
 * number's prefix. `hint`: what the handset said on the request being served (a retrieval), else the one
 * remembered for the subscriber is used.
 */
export interface CapabilityResolver {
  resolve(recipient: { address: string }, peer: string, hint?: HandsetHint): Promise<Capabilities>;
}
