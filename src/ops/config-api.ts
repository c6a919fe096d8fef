// The `api` section of the configuration: the sender's API (issue 24) beyond the VASP accounts themselves
// (mm7.vasps[] holds each account's keys, webhook secrets and media allow-list): media fetched by URL,
// idempotency, scheduling, webhook delivery, number validation. A file of its own, as config-mm4.ts, so that
// config.ts stays the whole schema's outline.
import { z } from 'zod';

const ms = (min: number, dflt: number, what: string) => z.coerce.number().int().min(min).default(dflt).describe(what);

/** `api`: the sender's API's settings shared by every account. */
export const ApiSchema = z
  .object({
    idempotencyWindowMs: ms(
      60_000,
      86_400_000,
      'an Idempotency-Key is remembered this long per account: the same key answers the first request (a different body: 422)',
    ),
    // -- numbers (libphonenumber-js): keep each group's keys together, one group per concern
    // -- media by URL
    // -- scheduling and listing
    // -- webhooks (events)
    webhookRetryForMs: ms(
      60_000,
      86_400_000,
      'a webhook event is retried this long after it happened (backoff spread over queue.maxAttempts), then dead-lettered as expired (docs/webhooks.md)',
    ),
  })
  .strict()
  .prefault({});

export type ApiConfig = z.infer<typeof ApiSchema>;
