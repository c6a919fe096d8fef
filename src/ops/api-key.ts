import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys of the sender's API (issue 24, "Accounts and keys"; docs/api-keys.md): `mmsc_` and the base64url
 * of 32 random bytes (256 bits), presented as `Authorization: Bearer <key>` (RFC 6750 §2.1). The config keeps
 * only `sha256:<hex>` of the key. A fast hash is the right one here, unlike for passwords: a password is
 * chosen by a person and guessable, so its hash must be slow to try guesses against (scrypt, `mmsc secret
 * hash`); a key of 256 random bits cannot be guessed at any speed, so its SHA-256 reveals nothing and checking
 * it costs a microsecond on every request instead of a derivation.
 */

/** What every key starts with: a key found in a log or a repository is recognisable as one of ours. */
export const API_KEY_PREFIX = 'mmsc_';

const KEY_BYTES = 32;

/** The stored form: `sha256:` and 64 hex digits (the config lowercases them). */
export const API_KEY_HASH = /^sha256:[0-9a-f]{64}$/i;

/** Key names: what the logs, the metrics and the admin API call a key. */
export const API_KEY_NAME = /^[A-Za-z0-9._-]+$/;

/** A new key (`mmsc apikey new`): shown once, never stored. */
export function newApiKey(bytes: Buffer = randomBytes(KEY_BYTES)): string {
  return `${API_KEY_PREFIX}${bytes.toString('base64url')}`;
}

/** The stored form of a key, as the config holds it. */
export function apiKeyHash(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Why `hash` is not a stored key form, or undefined when it is one (the config check, naming the key). */
export function apiKeyHashProblem(hash: string): string | undefined {
  if (API_KEY_HASH.test(hash)) return undefined;
  if (hash.startsWith(API_KEY_PREFIX))
    return 'this is a key itself, not its hash: the config keeps sha256:<hex> only (`mmsc apikey new` prints both)';
  return 'expected sha256:<64 hex digits> (as `mmsc apikey new` prints it)';
}
