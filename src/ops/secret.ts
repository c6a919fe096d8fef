import { createHash, scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Secrets in the configuration (passwords, tokens): written inline, or read at start from a file
 * (`{ "file": "/run/secrets/x" }`, a trailing newline dropped: what `echo` and Kubernetes Secrets write) or
 * from an environment variable (`{ "env": "VASP_A_PASSWORD" }`), so that a config file can be committed
 * and its secrets kept elsewhere. A secret we only check (a VASP's password, an admin token, a peer's AUTH
 * password) may also be stored as an scrypt hash (`scrypt$N$r$p$<salt b64>$<hash b64>`, made by
 * `mmsc secret hash`), so that the file never holds it in clear.
 */

/** Config keys that carry a secret are tagged with this, for `mmsc config print` to redact them. */
export const SECRET_META = { secret: true } as const;

const source = z.union([
  z.string(),
  z.object({ file: z.string().min(1).describe('file holding the secret') }).strict(),
  z.object({ env: z.string().min(1).describe('environment variable holding the secret') }).strict(),
]);

/** The secret's value from its source; a problem is reported on the key by the caller's schema. */
function resolve(v: z.infer<typeof source>, ctx: z.RefinementCtx): string {
  if (typeof v === 'string') return v;
  if ('file' in v) {
    try {
      return readFileSync(v.file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `secret file ${v.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return z.NEVER;
    }
  }
  const value = process.env[v.env];
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `secret environment variable ${v.env} is not set` });
    return z.NEVER;
  }
  return value;
}

/**
 * A secret that is sent (a bind password, a relay's AUTH password): inline, `{file}` or `{env}`, resolved to
 * its value at load. `inner` checks the value (length rules of the protocol).
 */
export function secret(inner: z.ZodString = z.string()) {
  return source.transform(resolve).pipe(inner).meta(SECRET_META);
}

/** A secret that is only checked: as `secret`, and the value may be an scrypt hash (see matchSecret). */
export function verifiableSecret(inner: z.ZodString = z.string().min(1)) {
  return secret(inner).refine((v) => !v.startsWith('scrypt$') || parseHash(v) !== undefined, {
    message: 'a malformed scrypt hash (expected scrypt$N$r$p$salt$hash, as `mmsc secret hash` writes)',
  });
}

interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ScryptHash | undefined {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N a power of two; bounds keep a hostile config from asking for gigabytes per check.
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const hash = Buffer.from(m[5]!, 'base64');
  if (hash.length < 16) return undefined;
  return { N, r, p, salt: Buffer.from(m[4]!, 'base64'), hash };
}

const SCRYPT_N = 2 ** 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_BYTES = 32;

function derive(candidate: string, h: Pick<ScryptHash, 'N' | 'r' | 'p' | 'salt'>, length: number): Promise<Buffer> {
  return new Promise((ok, fail) =>
    scrypt(candidate, h.salt, length, { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1024 * 1024 }, (err, key) =>
      err ? fail(err) : ok(key),
    ),
  );
}

/** An scrypt hash of `value` in the form verifiableSecret takes (`mmsc secret hash`). */
export async function hashSecret(value: string, salt: Buffer): Promise<string> {
  const key = await derive(value, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, salt }, KEY_BYTES);
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time comparison of two strings of any length (the length itself is not hidden). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Successful scrypt checks, remembered by a digest of (hash, candidate) so that a client sending the same
 * right password on every request costs one derivation, not one per request (scrypt is slow by design).
 * Failures are not remembered: a wrong guess costs the guesser a derivation each (off the event loop).
 */
const verified = new Map<string, true>();
const VERIFIED_MAX = 4096;

/** Whether `candidate` is the secret `stored` (a value, or an scrypt hash of it). Never throws. */
export async function matchSecret(stored: string, candidate: string): Promise<boolean> {
  if (!stored.startsWith('scrypt$')) return sameSecret(stored, candidate);
  const h = parseHash(stored);
  if (!h) return false;
  const memo = createHash('sha256').update(stored).update('\0').update(candidate).digest('base64');
  if (verified.has(memo)) return true;
  try {
    const key = await derive(candidate, h, h.hash.length);
    if (!timingSafeEqual(key, h.hash)) return false;
  } catch {
    return false;
  }
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(memo, true);
  return true;
}
