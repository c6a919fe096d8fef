// The `mm4.peers` entries of the configuration: one peer carrier (or interconnect hub) each, 3GPP TS 23.140
// §8.4, with what it may send us (inbound) and how we reach it (outbound, `out`). A file of its own because
// config.ts is the whole schema's home and a peer has as many knobs as a mail server's transport map entry.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseCidr } from '../transport/ip-ranges.js';
import { secret, verifiableSecret } from './secret.js';

/** A CIDR range or single address (checked by parseCidr; the error says why not). */
const cidrEntry = z.string().refine((v) => typeof parseCidr(v) !== 'string', { error: (i) => String(parseCidr(String(i.input))) });

/** An MMS domain, e.g. mms.mnc002.mcc001.gprs (GRX/IPX names, not in public DNS). */
export const mmsDomain = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a domain name, e.g. mms.mnc001.mcc001.gprs')
  .transform((d) => d.toLowerCase());

/** A boolean from JSON, or true/false/1/0 from the environment (as config.ts's flag). */
const flagOf = (dflt: boolean) =>
  z
    .preprocess(
      (v) =>
        typeof v === 'string'
          ? (({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.toLowerCase()] ?? v)
          : v,
      z.boolean(),
    )
    .default(dflt);

const ms = (min: number, dflt: number, what: string) => z.coerce.number().int().min(min).default(dflt).describe(what);

/**
 * How we send to the peer (TS 23.140 §8.4.1: MM4_forward.REQ, and the RES and reports we owe it, over
 * SMTP). The field names follow src/mm4/peer-options.ts (Mm4PeerOutbound), which documents each.
 */
export const Mm4PeerOutSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .optional()
      .describe("the peer's SMTP server (smart host or its MM4 relay); required unless out.mx (GRX/IPX names are not in public DNS)"),
    port: z.coerce.number().int().min(1).max(65535).default(25).describe("the peer's SMTP port"),
    mx: flagOf(false).describe("take the SMTP server from the MX records of the peer's domain instead of host (only for domains in DNS)"),
    tls: z
      .enum(['starttls-required', 'opportunistic', 'implicit', 'none'])
      .default('starttls-required')
      .describe(
        'starttls-required (verified) | opportunistic (STARTTLS when offered, unverified) | implicit (TLS from the first byte) | none',
      ),
    caFile: z
      .string()
      .min(1)
      .optional()
      .refine((f) => f === undefined || existsSync(f), 'no such file')
      .describe("PEM file of the CA that signs the peer's certificate, when not in Node's default store"),
    authUser: z.string().min(1).optional().describe('SMTP AUTH user we log in with, when the peer asks for it'),
    authPassword: secret(z.string().min(1)).optional().describe('SMTP AUTH password (with out.authUser); inline, {file} or {env}'),
    envelopeForm: z
      .enum(['plmn', 'plain'])
      .default('plmn')
      .describe('how numbers are written in the envelope and To/From: plmn (+N/TYPE=PLMN@domain, the spec) or plain (+N@domain)'),
    originatorSystem: z
      .string()
      .min(1)
      .optional()
      .describe('X-Mms-Originator-System we send (where the peer sends RES and reports); default system-user@<our first MMS domain>'),
    ackRequest: z.boolean().default(false).describe('ask the peer for MM4_forward.RES (X-Mms-Ack-Request: Yes)'),
    resTimeoutMs: ms(100, 600_000, 'how long to wait for MM4_forward.RES when ackRequest is on'),
    onMissingRes: z
      .enum(['delivered', 'resend'])
      .default('delivered')
      .describe('no RES within resTimeoutMs: count the forward delivered (its SMTP 250), or send it again'),
    maxMessageBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024)
      .describe('largest forward the peer takes (1 MB at many carriers, 5 MB at hubs); larger ones are refused'),
    rate: z.coerce.number().positive().default(20).describe('forwards per second to the peer (all instances)'),
    burst: z.coerce.number().int().min(1).default(40).describe('token bucket burst of forwards to the peer'),
    maxConnections: z.coerce.number().int().min(1).default(4).describe('SMTP connections to the peer at once (pool size, in-flight cap)'),
    connectTimeoutMs: ms(100, 10_000, 'TCP (and implicit TLS) connection to the peer established within'),
    greetingTimeoutMs: ms(100, 10_000, "the peer's 220 greeting within"),
    socketTimeoutMs: ms(100, 60_000, 'silence of the connection to the peer allowed for at most'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.authUser === undefined) !== (v.authPassword === undefined))
      ctx.addIssue({ code: 'custom', path: ['authPassword'], message: 'authUser and authPassword go together' });
    if (v.host === undefined && !v.mx) ctx.addIssue({ code: 'custom', path: ['host'], message: 'required unless mx is true' });
  });

/**
 * One MM4 peer. Inbound, it is recognised by its source address (`allow`) and/or its SMTP AUTH identity
 * (`authUser`); with both, both must match; with neither it may not send us anything (an outbound-only
 * peer). Outbound (`out`), messages to its number ranges (`prefixes`) go to it.
 */
export const Mm4PeerSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[^{}\s]+$/, 'no braces or spaces')
      .describe('peer name: in logs, metrics and its inbound throttle key (mm4-in:<id>)'),
    domain: mmsDomain.optional().describe("the peer's MMS domain (its subscribers are +N/TYPE=PLMN@domain); required with out"),
    prefixes: z
      .array(z.string().regex(/^\+\d+$/, 'a +E.164 prefix'))
      .default([])
      .describe('the +E.164 number ranges the peer serves: messages to them go to it (longest prefix of all peers wins)'),
    allow: z
      .array(cidrEntry)
      .default([])
      .describe('source address ranges (CIDR, or single addresses) the peer connects from; [] = any address, then authUser is required'),
    authUser: z.string().min(1).optional().describe('SMTP AUTH (PLAIN/LOGIN) user name the peer must log in with; unset = no AUTH'),
    authPassword: verifiableSecret()
      .optional()
      .describe('SMTP AUTH password (with authUser): inline, {file}, {env}, or an scrypt hash (`mmsc secret hash`)'),
    rate: z.coerce
      .number()
      .positive()
      .default(100)
      .describe('MM4 messages per second accepted from this peer (token bucket, all instances)'),
    burst: z.coerce.number().int().min(1).default(100).describe('token bucket burst for its messages'),
    maxInFlight: z.coerce.number().int().min(1).default(32).describe("the peer's messages being stored at once (all instances)"),
    maxConnections: z.coerce.number().int().min(1).default(16).describe('SMTP sessions the peer may hold open at once on this instance'),
    out: Mm4PeerOutSchema.optional().describe('how we send to the peer (fields below); unset = nothing is sent to it'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.authUser === undefined) !== (v.authPassword === undefined))
      ctx.addIssue({ code: 'custom', path: ['authPassword'], message: 'authUser and authPassword go together' });
    // Default deny: a peer that neither address nor AUTH identifies would let anyone in; one we only send
    // to needs neither (nothing is taken from it).
    if (v.allow.length === 0 && v.authUser === undefined && v.out === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['allow'],
        message: 'a peer needs allow ranges, authUser, or both (or out, to only send to it)',
      });
    if (v.out !== undefined && v.domain === undefined)
      ctx.addIssue({ code: 'custom', path: ['domain'], message: "required with out (the peer's MMS domain)" });
    if (v.prefixes.length > 0 && v.out === undefined)
      ctx.addIssue({ code: 'custom', path: ['out'], message: 'required with prefixes (how to reach the peer)' });
  });

export type Mm4PeerConfig = z.infer<typeof Mm4PeerSchema>;
