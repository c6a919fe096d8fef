// The `api` section of the configuration: the sender's API (issue 24) beyond the VASP accounts themselves
// (mm7.vasps[] holds each account's keys, webhook secrets and media allow-list): media fetched by URL,
// idempotency, scheduling, webhook delivery, number validation. A file of its own, as config-mm4.ts, so that
// config.ts stays the whole schema's outline.
import { z } from 'zod';

const ms = (min: number, dflt: number, what: string) => z.coerce.number().int().min(min).default(dflt).describe(what);

/** `api.media`: media fetched by URL and uploads (src/rest/media/). */
export const MediaApiSchema = z
  .object({
    maxFileBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1_048_576)
      .describe(
        'largest media file fetched by URL or uploaded (POST /v1/media), in bytes; a message is also capped by its account maxMessageBytes',
      ),
    maxRedirects: z.coerce
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe('redirects followed when fetching a media URL, each one checked by the outbound guard like the first URL'),
    timeoutMs: ms(
      100,
      10_000,
      'a media URL fetch (HEAD, GET, redirects, the whole body) must be done within this, else it fails as timeout',
    ),
    uploadTtlMs: ms(60_000, 86_400_000, 'an upload (POST /v1/media) is kept this long for messages to name it by id'),
    cacheTtlMs: ms(
      0,
      86_400_000,
      'fetched media is kept by URL at most this long (revalidated by its caching headers meanwhile); 0 = not cached',
    ),
    allowedTypes: z
      .array(z.string().regex(/^[a-z0-9][\w.+-]*\/[a-z0-9][\w.+-]*$/, 'a media type in lower case, e.g. image/jpeg'))
      .min(1)
      .default([
        'image/jpeg',
        'image/png',
        'image/gif',
        'image/vnd.wap.wbmp',
        'image/bmp',
        'image/webp',
        'audio/amr',
        'audio/mpeg',
        'audio/mp4',
        'audio/aac',
        'video/3gpp',
        'video/mp4',
        'text/plain',
        'text/vcard',
        'text/x-vcard',
        'text/x-vcalendar',
        'application/smil',
      ])
      .describe('media types accepted by URL or upload (the bytes sniffed must be of the declared type)'),
  })
  .strict();

export type MediaApiConfig = z.infer<typeof MediaApiSchema>;

/** `api.media` with its defaults when unset. */
export function mediaApiConfig(api: { media?: MediaApiConfig | undefined } | undefined): MediaApiConfig {
  return api?.media ?? MediaApiSchema.parse({});
}

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
    media: MediaApiSchema.optional().describe(
      'media fetched by URL and uploads (docs/media.md): an object of the fields below; unset = their defaults',
    ),
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
