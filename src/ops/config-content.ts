// The `content` section of the configuration (issue 25, "Content that fits the handset"): which media types
// the gateway takes at all (checked against the bytes on every inbound path), how a recipient's capabilities
// are found (route caps, UAProf, User-Agent classes, the default), and the tools of adaptation.
import { z } from 'zod';

const MEDIA_TYPE = /^[a-z0-9][a-z0-9.+-]*\/[a-z0-9][a-z0-9.+-]*$/;
const TYPE_OR_WILDCARD = /^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/;

/** Media types taken on every inbound path when `content.allowedTypes` is unset (issue 25's list). */
export const DEFAULT_ALLOWED_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/vnd.wap.wbmp',
  'image/bmp',
  'image/webp',
  'image/heic',
  'image/heif',
  'audio/amr',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'video/3gpp',
  'video/mp4',
  'text/vcard',
  'text/x-vcard',
  'text/x-vcalendar',
  'text/calendar',
  'text/plain',
  'application/smil',
] as const;

const pixels = () => z.number().int().min(16).max(16_384);

/** What a class of handsets, or a route, takes. Unset fields: the next source in the resolution order decides. */
const LimitsFields = {
  maxMessageBytes: z.number().int().min(1024).describe('largest message, in bytes'),
  maxImageWidth: pixels().optional().describe('widest image, in pixels; unset = the next source decides'),
  maxImageHeight: pixels().optional().describe('tallest image, in pixels; unset = the next source decides'),
};

/** A class of handsets known by their User-Agent (used when no UAProf is known for the subscriber). */
export const UserAgentClassSchema = z
  .object({
    name: z.string().min(1).describe('a name for logs and the capability class (e.g. smartphone)'),
    match: z
      .string()
      .min(1)
      .refine((s) => {
        try {
          new RegExp(s, 'i');
          return true;
        } catch {
          return false;
        }
      }, 'a regular expression')
      .describe('a regular expression matched against the User-Agent, case-insensitive'),
    ...LimitsFields,
    contentTypes: z
      .array(z.string().regex(TYPE_OR_WILDCARD, 'type/subtype or type/*'))
      .optional()
      .describe('media types this class takes; unset = mm1.contentTypes'),
  })
  .strict();

/** A carrier or route cap: by the queue peer a recipient is routed to (an MM4 peer, an SMSC route) or by number prefix. */
export const RouteCapSchema = z
  .object({
    peer: z.string().min(1).optional().describe('the route (queue peer id, e.g. an mm4.peers id) this cap is for'),
    prefix: z
      .string()
      .regex(/^\+?\d{1,15}$/, 'digits, optionally after +')
      .optional()
      .describe('recipients whose number starts with this (+E.164 form) get this cap'),
    ...LimitsFields,
  })
  .strict()
  .refine((r) => r.peer !== undefined || r.prefix !== undefined, 'a route cap needs a peer or a prefix');

/** UAProf documents (OMA-TS-UAProf): fetched through the outbound guard, cached in the store. */
export const UaProfSchema = z
  .object({
    fetch: z
      .boolean()
      .default(true)
      .describe('fetch the UAProf a handset names (x-wap-profile / Profile); false = User-Agent classes only'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe('a profile must be fetched within this time'),
    waitMs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(1_000)
      .describe('how long a delivery waits for a profile not yet cached; the fetch goes on and is cached for the next one'),
    maxBytes: z.number().int().min(1024).default(262_144).describe('largest profile document read, in bytes'),
    ttlMs: z
      .number()
      .int()
      .min(60_000)
      .default(7 * 86_400_000)
      .describe('a fetched profile is kept this long'),
    failureTtlMs: z
      .number()
      .int()
      .min(1_000)
      .default(3_600_000)
      .describe('a profile that could not be fetched is not tried again for this long'),
  })
  .strict();

export const ContentSchema = z
  .object({
    allowedTypes: z
      .array(z.string().regex(MEDIA_TYPE, 'type/subtype in lower case'))
      .min(1)
      .default([...DEFAULT_ALLOWED_TYPES])
      .describe('media types taken on every inbound path (MM1, MM4, MM7, REST, media by URL); the bytes must be of the declared type'),
    maxImageWidth: z.coerce
      .number()
      .int()
      .min(16)
      .max(16_384)
      .default(640)
      .describe('widest image of the default handset (its size is mm1.maxMessageBytes)'),
    maxImageHeight: z.coerce.number().int().min(16).max(16_384).default(480).describe('tallest image of the default handset'),
    userAgents: z
      .array(UserAgentClassSchema)
      .default([])
      .describe('classes of handsets by User-Agent, the first that matches; used when no UAProf is known'),
    routes: z
      .array(RouteCapSchema)
      .default([])
      .describe('carrier and route caps (by peer or number prefix); they bound whatever the handset takes'),
    uaprof: UaProfSchema.optional().describe('UAProf fetching and caching: an object of the fields below; unset = their defaults'),
    ffmpegPath: z
      .string()
      .default('ffmpeg')
      .describe('the ffmpeg binary for audio and video adaptation, looked up on PATH; "" = none (media that does not fit is removed)'),
    ffmpegTimeoutMs: z.coerce.number().int().min(1_000).max(600_000).default(30_000).describe('one ffmpeg run must end within this time'),
    jpegMinQuality: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .default(30)
      .describe('lowest JPEG quality tried before an image is shrunk further'),
    jpegMaxQuality: z.coerce.number().int().min(1).max(100).default(85).describe('JPEG quality tried first'),
    imageAdapter: z
      .enum(['process', 'inline'])
      .default('process')
      .describe(
        'where images are adapted: "process", a child process of the gateway (a crash or a runaway decode of a hostile picture ends that process, not the gateway); "inline", in the gateway process',
      ),
  })
  .strict()
  .refine((c) => c.jpegMinQuality <= c.jpegMaxQuality, {
    message: 'jpegMinQuality must not be over jpegMaxQuality',
    path: ['jpegMinQuality'],
  })
  .prefault({});

export type ContentConfig = z.infer<typeof ContentSchema>;
export type UserAgentClass = z.infer<typeof UserAgentClassSchema>;
export type RouteCap = z.infer<typeof RouteCapSchema>;
export type UaProfConfig = z.infer<typeof UaProfSchema>;

/** `content.uaprof` with its defaults when unset. */
export function uaprofConfig(content: { uaprof?: UaProfConfig | undefined }): UaProfConfig {
  return content.uaprof ?? UaProfSchema.parse({});
}
