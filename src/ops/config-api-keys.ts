// A VASP account's API keys (issue 24, "Accounts and keys"; docs/api-keys.md): mm7.vasps[].apiKeys. A file of
// its own, as config-tls.ts's VaspClientCertSchema, so that config.ts keeps the outline of the account.
import { z } from 'zod';
import { API_KEY_NAME, apiKeyHashProblem } from './api-key.js';

/** One key of an account: its name, its stored form (never the key) and what it may do. */
export const ApiKeySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(API_KEY_NAME, 'letters, digits, dot, underscore and hyphen only')
      .describe('the key\'s name, unique in the account: in logs, metrics and the admin API (e.g. "ci-2026-12")'),
    // The check is the entry's (below), so that its message names the key.
    hash: z.string().describe('sha256:<hex> of the key, as `mmsc apikey new` prints it: never the key itself'),
    scope: z
      .enum(['send', 'read', 'full'])
      .default('full')
      .describe('what the key may do: send (submit, upload, cancel), read (look up, list) or full (both)'),
  })
  .strict()
  .superRefine((k, ctx) => {
    const why = apiKeyHashProblem(k.hash);
    if (why !== undefined) ctx.addIssue({ code: 'custom', path: ['hash'], message: `API key ${k.name}: ${why}` });
  })
  // A SHA-256 is fast (the key is 256 random bits, nothing to slow a guesser down for): one form to compare.
  .transform((k) => ({ ...k, hash: k.hash.toLowerCase() }));

export type ApiKeyConfig = z.infer<typeof ApiKeySchema>;

/** mm7.vasps[].apiKeys: several at once (a rotation: the new one added, the old one removed once unused). */
export const apiKeysField = z
  .array(ApiKeySchema)
  .superRefine((keys, ctx) => {
    const names = new Set<string>();
    const hashes = new Set<string>();
    keys.forEach((k, i) => {
      if (names.has(k.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `API key name ${k.name} appears twice` });
      if (hashes.has(k.hash))
        ctx.addIssue({ code: 'custom', path: [i, 'hash'], message: `API key ${k.name}: the same hash as another key` });
      names.add(k.name);
      hashes.add(k.hash);
    });
  })
  .optional()
  .describe(
    'API keys (Authorization: Bearer) for the REST API, several at once for rotation: [{name, hash: sha256:<hex> from `mmsc apikey new`, scope: send|read|full (default full)}]; unset = none',
  );
