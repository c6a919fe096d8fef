// The `consent` section of the configuration (issue 24, "Consent and frequency"): per sender (short code or
// sender id) what its subscribers' consent, keywords, frequency caps and quiet hours are. The registry itself
// (who opted in or out, when, by what, with what proof) lives in the store, shared by every instance.
import { z } from 'zod';
import { isTimeZone } from '../core/quiet-hours.js';

/** HH:MM, 00:00-23:59. */
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A boolean from JSON, or from the environment as true/false/1/0 (as config.ts reads its flags). */
const envFlag = z.preprocess(
  (v) =>
    typeof v === 'string' ? (({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.toLowerCase()] ?? v) : v,
  z.boolean(),
);

/** One sender's policy: `sender` is one of a VASP's senders (a short code or sender id) or `*` for every sender. */
export const SenderPolicySchema = z
  .object({
    sender: z.string().min(1).describe('the short code or sender id this policy is for; * = every sender without one of its own'),
    // -- keywords and consent (STOP/START/HELP, double opt-in)
    helpText: z
      .string()
      .default('')
      .describe('answer to an MO HELP (or INFO) sent to this sender: who you are and how to stop ("" = HELP is an ordinary MO text)'),
    doubleOptIn: z
      .boolean()
      .default(false)
      .describe('double opt-in: START (or a joinKeywords word) leaves the subscriber pending and asks confirmText; YES opts in'),
    confirmText: z
      .string()
      .default('Reply YES to confirm your subscription. Msg&data rates may apply. Reply STOP to cancel.')
      .describe('with doubleOptIn: the question sent after START'),
    optInReply: z.string().default('').describe('confirmation SMS once opted in to this sender ("" = smpp.startReply)'),
    joinKeywords: z
      .array(z.string().min(1))
      .default([])
      .describe("MO texts that opt in to this sender besides smpp.startKeywords (e.g. a campaign's word), matched as those"),
    confirmKeywords: z.array(z.string().min(1)).default(['YES', 'Y']).describe('with doubleOptIn: MO texts that confirm a pending opt-in'),
    // -- frequency caps and quiet hours
    maxPerDay: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('most marketing messages to one subscriber in any rolling 24 hours (counted when sent); unset = no daily cap'),
    maxPerWeek: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('most marketing messages to one subscriber in any rolling 7 days (counted when sent); unset = no weekly cap'),
    overCap: z
      .enum(['defer', 'refuse'])
      .default('defer')
      .describe('over a cap: defer (hold the message until the window frees up) or refuse (rejected, frequency-capped)'),
    quietHours: z
      .object({
        start: z.string().regex(HHMM, 'a time of day HH:MM').describe('when the quiet time begins, HH:MM local time (e.g. 21:00)'),
        end: z
          .string()
          .regex(HHMM, 'a time of day HH:MM')
          .describe('when it ends, HH:MM local time (e.g. 08:00; before start = past midnight)'),
      })
      .strict()
      .refine((w) => w.start !== w.end, 'start and end must differ')
      .optional()
      .describe("no marketing in this daily window of the recipient's local time (time zone from the number); deferred to its end"),
    fallbackTimeZone: z
      .string()
      .refine(isTimeZone, 'an IANA time zone, e.g. Europe/London')
      .default('UTC')
      .describe("the recipient's time zone for quiet hours when the number does not tell (IANA name)"),
  })
  .strict();

/** `consent`: the consent registry's policies. */
export const ConsentSchema = z
  .object({
    senders: z
      .array(SenderPolicySchema)
      .default([])
      .describe('per-sender consent policies (fields below); none = the defaults for every sender'),
    // -- registry-wide settings
    marketingNeedsOptIn: envFlag
      .default(true)
      .describe(
        'refuse a marketing message (REST class marketing, MM7 MessageClass Advertisement) to a subscriber without an opt-in for its sender (consent-required)',
      ),
    importMaxBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(16 * 1024 * 1024)
      .describe('largest CSV body POST /admin/consent/import takes (bytes); split larger lists'),
  })
  .strict()
  .prefault({});

export type ConsentConfig = z.infer<typeof ConsentSchema>;
export type SenderPolicyConfig = z.infer<typeof SenderPolicySchema>;
