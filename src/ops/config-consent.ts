// The `consent` section of the configuration (issue 24, "Consent and frequency"): per sender (short code or
// sender id) what its subscribers' consent, keywords, frequency caps and quiet hours are. The registry itself
// (who opted in or out, when, by what, with what proof) lives in the store, shared by every instance.
import { z } from 'zod';

/** One sender's policy: `sender` is one of a VASP's senders (a short code or sender id) or `*` for every sender. */
export const SenderPolicySchema = z
  .object({
    sender: z.string().min(1).describe('the short code or sender id this policy is for; * = every sender without one of its own'),
    // -- keywords and consent (STOP/START/HELP, double opt-in)
    // -- frequency caps and quiet hours
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
  })
  .strict()
  .prefault({});

export type ConsentConfig = z.infer<typeof ConsentSchema>;
export type SenderPolicyConfig = z.infer<typeof SenderPolicySchema>;
