import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isShortCode } from '../../protocols/address/index.js';
import { namespaceFor } from '../../protocols/mm7/index.js';
import { parseCidr } from '../transport/ip-ranges.js';
import { partyOf } from '../core/party.js';
import { isKnownRegion } from '../core/phone-number.js';
import { Mm4PeerSchema, type Mm4PeerConfig } from './config-mm4.js';
import { ApiSchema } from './config-api.js';
import { ConsentSchema } from './config-consent.js';
import { ContentSchema } from './config-content.js';
import { adminTokens } from './config-admin.js';
import { type ConfigFile, readConfigFile } from './config-file.js';
import { cidrEntry, httpTls, trustedProxies, VaspClientCertSchema } from './config-tls.js';
import { apiKeysField } from './config-api-keys.js';
import { secret, verifiableSecret } from './secret.js';

export { Mm4PeerSchema, type Mm4PeerConfig };

/**
 * The gateway's one configuration: a typed schema with the default and a one-line explanation beside each
 * key. Sources, later wins: defaults < JSON or YAML file (--config or MMSC_CONFIG; src/ops/config-file.ts) <
 * environment (MMSC_<PATH>, e.g. MMSC_OPS_PORT for ops.port; REDIS_URL for redis.url). A bad value fails at
 * start naming the key (and its line in the file).
 * zod because it gives the static type, defaults and path-naming errors from one declaration, which a
 * hand-written validator would have to keep in step by hand as interfaces add their keys.
 */
/** A boolean from JSON, or from the environment as true/false/1/0 (z.coerce.boolean would read "false" as true). */
const flag = z.preprocess(
  (v) =>
    typeof v === 'string' ? (({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.toLowerCase()] ?? v) : v,
  z.boolean(),
);

function isMm7Schema(v: string): boolean {
  try {
    namespaceFor(v);
    return true;
  } catch {
    return false;
  }
}

/** A callbackUrlPrefixes entry: compared by scheme, host, port and path, so nothing else may be in it. */
function isUrlPrefix(v: string): boolean {
  if (!URL.canParse(v)) return false; // zod's url() said so already; refinements run all the same
  const u = new URL(v);
  return (
    (u.protocol === 'http:' || u.protocol === 'https:') &&
    u.username === '' &&
    u.password === '' &&
    u.search === '' &&
    u.hash === '' &&
    !v.includes('#')
  );
}

/**
 * Why a VASP sender would be refused at submission, or undefined when it is fine: a short code, an e-mail
 * address or a number with an E.164 form, by the check the submit path makes (partyOf). A sender that passes
 * this start check but not that one would make every submission of the VASP fail (MM7 2002, REST 400).
 */
function senderProblem(sender: string): string | undefined {
  const s = sender.trim();
  if (isShortCode(s)) return undefined;
  try {
    partyOf(s.includes('@') ? 'email' : 'number', s);
    return undefined;
  } catch (e) {
    return `neither a short code (3-8 digits) nor an address: ${(e as Error).message}`;
  }
}

/** One content provider allowed to use MM7 (and the REST API). */
export const VaspSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[^{}\s]+$/, 'no braces or spaces')
      .describe('VASPID; also the queue/throttle peer id of deliveries to this VASP'),
    username: z.string().min(1).describe('HTTP Basic user name'),
    password: verifiableSecret()
      .optional()
      .describe('HTTP Basic password: inline, {file}, {env}, or an scrypt hash (`mmsc secret hash`); unset = client certificate only'),
    clientCert: VaspClientCertSchema.optional().describe(
      'the client certificate that authenticates this VASP without Basic, on an MM7 listener whose tls.clientCert asks for one',
    ),
    allowIps: z
      .array(cidrEntry)
      .optional()
      .describe(
        'source addresses allowed (CIDR ranges or single addresses; the client X-Forwarded-For names when from mm7.trustedProxies); unset = any',
      ),
    senders: z
      .array(
        z
          .string()
          .min(1)
          .superRefine((v, ctx) => {
            const why = senderProblem(v);
            if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
          }),
      )
      .min(1)
      .describe('sender addresses / short codes this VASP may use (short code, +E.164 number or e-mail address); the first is the default'),
    maxMessageBytes: z.coerce
      .number()
      .int()
      .min(1)
      .default(300 * 1024)
      .describe('largest message (content bytes) accepted from this VASP'),
    rate: z.coerce.number().positive().default(50).describe('submissions per second accepted from this VASP (token bucket, all instances)'),
    burst: z.coerce.number().int().min(1).default(50).describe('token bucket burst for submissions'),
    maxInFlight: z.coerce
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('requests of this VASP processed at once: per listener before the body is read, and submissions across instances'),
    url: z.string().url().optional().describe("the VASP's own MM7 URL for deliveries and reports"),
    callbackUrlPrefixes: z
      .array(z.string().url().refine(isUrlPrefix, 'an http(s) URL without user info, query or fragment'))
      .optional()
      .describe(
        'REST callbackUrl must have the scheme, host and port of one of these and lie under its path (whole segments); unset = any public http(s) URL',
      ),
    version: z
      .string()
      .default('REL-6-MM7-1-4')
      .refine(isMm7Schema, 'expected an MM7 schema, REL-5-MM7-1-0 .. REL-6-MM7-1-4 (or its namespace URI)')
      .describe('schema version the VASP is sent (REL-5-MM7-1-0 .. REL-6-MM7-1-4)'),
    deliveryRate: z.coerce
      .number()
      .positive()
      .default(20)
      .describe('requests per second sent to the VASP (deliveries, reports; all instances)'),
    deliveryBurst: z.coerce.number().int().min(1).default(20).describe('token bucket burst for requests to the VASP'),
    deliveryMaxInFlight: z.coerce.number().int().min(1).default(10).describe('requests to the VASP in progress at once (all instances)'),
    // -- issue 24, the sender's API: each group's fields together, one group per concern
    // -- API keys
    apiKeys: apiKeysField,
    // -- webhooks (signing secrets, failover URL)
    webhookSecrets: z
      .array(secret(z.string().min(16)))
      .min(1)
      .max(2)
      .optional()
      .describe(
        'secrets signing the webhook events (Mmsc-Signature, HMAC-SHA256), each inline, {file} or {env}, at least 16 characters; two while rotating (each signs); unset = events unsigned (warned at start)',
      ),
    webhookFailoverUrl: z
      .string()
      .url()
      .optional()
      .describe(
        'where an event goes from its 3rd attempt on when the message gave no failoverUrl (its callbackUrl kept failing); checked by the outbound guard like a callbackUrl',
      ),
    // -- media by URL (allow-list)
    mediaUrlAllow: z
      .array(cidrEntry)
      .optional()
      .describe(
        "address ranges (CIDR) this account's media URLs may reach besides outbound.allow (e.g. its own CDN on a private network); a metadata address only by its own /32; unset = none",
      ),
    // -- numbers (default region)
    defaultRegion: z
      .string()
      .refine(isKnownRegion, 'an ISO 3166-1 alpha-2 country code with a numbering plan (e.g. US, GB, DE)')
      .optional()
      .describe(
        'REST JSON recipients written without + are read as national numbers of this country (ISO 3166-1 alpha-2, e.g. US); unset = + required',
      ),
  })
  .strict()
  .refine((v) => v.password !== undefined || v.clientCert !== undefined || (v.apiKeys?.length ?? 0) > 0, {
    path: ['password'],
    message: 'a VASP needs a password, a clientCert or an API key (apiKeys): at least one',
  });

/** One SMSC connection (SMPP 3.4 ESME side). */
export const SmscSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[^{}\s]+$/, 'no braces or spaces')
      .describe('connection name; the queue/throttle peer is smpp:<id>'),
    host: z.string().min(1).describe('SMSC address'),
    port: z.coerce.number().int().min(1).max(65535).default(2775).describe('SMSC port'),
    systemId: z.string().min(1).max(15).describe('bind system_id'),
    password: secret(z.string().max(8)).default('').describe('bind password (SMPP 3.4: at most 8 characters); inline, {file} or {env}'),
    systemType: z.string().max(12).optional().describe('bind system_type'),
    bindMode: z
      .enum(['transceiver', 'transmitter+receiver'])
      .default('transceiver')
      .describe('one transceiver session, or a transmitter and a receiver'),
    window: z.coerce.number().int().min(1).max(1000).default(10).describe('submit_sm outstanding at once'),
    enquireLinkMs: z.coerce.number().int().min(1000).default(30_000).describe('keep-alive interval'),
    prefixes: z
      .array(z.string().regex(/^\+?\d*$/, 'digits, optionally after +'))
      .default([])
      .describe('destinations this SMSC serves, by prefix of +E.164 (longest match wins); [] = any'),
    rate: z.coerce.number().positive().default(100).describe('submit_sm per second (all instances)'),
    burst: z.coerce.number().int().min(1).default(100).describe('token bucket burst'),
    maxInFlight: z.coerce.number().int().min(1).default(100).describe('deliveries in progress at once over this SMSC (all instances)'),
    registeredDelivery: flag.default(true).describe('ask for delivery receipts'),
    sourceAddr: z.string().min(1).default('MMSC').describe('source address of text SMS (fallback, confirmations)'),
    messagePayload: flag.default(false).describe('send long text in one message_payload TLV instead of concatenated segments'),
  })
  .strict();

/** Why a DKIM key file cannot sign (unreadable, not a private key), or undefined when it can. */
function privateKeyProblem(file: string): string | undefined {
  try {
    createPrivateKey(readFileSync(file));
    return undefined;
  } catch (e) {
    return `not a readable PEM private key: ${(e as Error).message}`;
  }
}

/** A public URL of a listener (MM1, web view), as handsets or browsers reach it. */
const publicUrl = z
  .string()
  .url()
  .regex(/^https?:\/\/[^/]+(\/.*[^/])?$/, 'an http(s) URL without a trailing slash');

/** http://host:port of a listener as it binds; a wildcard bind is reached on its loopback address. */
function listenerUrl(host: string, port: number, tls?: object): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${tls ? 'https' : 'http'}://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

export const ConfigSchema = z
  .object({
    ops: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('address the ops listener (metrics, health) binds'),
        port: z.coerce.number().int().min(0).max(65535).default(9464).describe('ops listener port (0 = any free port)'),
        tls: httpTls('ops'),
        tokens: adminTokens,
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
        maskNumbers: flag
          .default(true)
          .describe('mask subscriber numbers (+4479******12) and e-mail local parts in logs; false logs them whole'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z
          .string()
          .url()
          .regex(/^rediss?:\/\//i, 'a redis:// or rediss:// (TLS) URL')
          .optional()
          .describe('Redis URL (redis://host:port/db, rediss:// for TLS); unset (and no cluster) = embedded, non-durable store'),
        cluster: z
          .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port'))
          .optional()
          .describe('Redis Cluster seed nodes (host:port, ...): uses the ioredis Cluster client instead of url'),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        prefix: z
          .string()
          .regex(/^[^{}\s]+$/, 'no braces or spaces')
          .default('mmsc')
          .describe('key prefix shared by the instances of one deployment'),
        shards: z.coerce
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(1)
          .describe('queue shards: 1 on a single Redis; e.g. 16 on a Cluster (same on every instance)'),
        leaseMs: z.coerce.number().int().min(1000).default(60_000).describe('how long a worker holds a job before it is handed out again'),
        maxAttempts: z.coerce.number().int().min(1).default(10).describe('delivery attempts before a job is dead-lettered'),
        retentionMs: z.coerce.number().int().min(0).default(86_400_000).describe('how long a finished message and its content are kept'),
        concurrency: z.coerce.number().int().min(1).default(64).describe('deliveries in progress at once in this instance'),
        retryBaseMs: z.coerce.number().int().min(1).default(5_000).describe('first retry delay; doubles each attempt (+-20 % jitter)'),
        retryMaxMs: z.coerce.number().int().min(1).default(3_600_000).describe('longest retry delay'),
        memoryMaxMessages: z.coerce
          .number()
          .int()
          .min(1)
          .default(50_000)
          .describe(
            'embedded store only: messages it holds at most, finished ones within their retention included; new ones over it are refused "try later"',
          ),
        memoryMaxBytes: z.coerce
          .number()
          .int()
          .min(1024 * 1024)
          .default(256 * 1024 * 1024)
          .describe(
            'embedded store only: estimated bytes it holds at most (content, ~3 KB a message and 0.5 KB a recipient of overhead, content still arriving); new messages over it are refused "try later"',
          ),
      })
      .strict()
      .prefault({}),
    mm7: z
      .object({
        enabled: flag.default(true).describe('run the MM7 (VASP) listener'),
        host: z.string().min(1).default('127.0.0.1').describe('address the MM7 listener binds'),
        port: z.coerce.number().int().min(0).max(65535).default(8007).describe('MM7 listener port (0 = any free port)'),
        relayServerId: z.string().min(1).default('mmsc').describe('MMSRelayServerID sent to VASPs'),
        tls: httpTls('MM7/REST'),
        trustedProxies: trustedProxies('MM7/REST'),
        maxBodyBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(10 * 1024 * 1024)
          .describe('largest request body, for any VASP (enforced while reading)'),
        maxElements: z.coerce.number().int().min(16).default(5_000).describe('most XML elements in one SOAP envelope'),
        maxAttributes: z.coerce
          .number()
          .int()
          .min(16)
          .default(5_000)
          .describe('most XML attributes in one SOAP envelope (namespace declarations included)'),
        maxXmlTokens: z.coerce
          .number()
          .int()
          .min(64)
          .default(20_000)
          .describe('most XML tokens in one SOAP envelope: tags, attributes, references, comments, CDATA sections, PIs'),
        maxEnvelopeBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(256 * 1024)
          .describe('largest SOAP envelope (the XML part; attachments are not in it), enforced while reading'),
        maxInFlightBodyBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(256 * 1024 * 1024)
          .describe(
            'request body bytes being received at once on the MM7 listener (MM7 and REST); over it a request is refused at once, transiently (MM7 4006, REST 503)',
          ),
        requestTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .default(30_000)
          .describe('a request must be received within this time (slow senders are cut off)'),
        headersTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('the request head must arrive within this time'),
        defaultExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(7 * 86_400_000)
          .describe('expiry of a submitted message without ExpiryDate'),
        maxExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(30 * 86_400_000)
          .describe('longest expiry a VASP may ask for'),
        clientTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .default(30_000)
          .describe('a request to a VASP (or a REST callback) must be answered within this time'),
        submitRetryWindowMs: z.coerce
          .number()
          .int()
          .min(0)
          .default(3_600_000)
          .describe(
            "a VASP's SubmitReq repeating a TransactionID (and request) it sent within this time is answered with the first MessageID, not stored again (0 = off; keep it below queue.retentionMs)",
          ),
        maxRecipients: z.coerce
          .number()
          .int()
          .min(1)
          .default(100)
          .describe(
            'most recipients of one SubmitReq or REST submission (To, Cc and Bcc; displayOnly ones not counted); more are refused 3003 / HTTP 400',
          ),
        vasps: z.array(VaspSchema).default([]).describe('VASP accounts, for MM7 and the REST API (fields below)'),
      })
      .strict()
      .prefault({}),
    mm1: z
      .object({
        enabled: flag.default(true).describe('run the MM1 (handset) listener: retrieval, m-send-req, acknowledgements, web view'),
        host: z.string().min(1).default('127.0.0.1').describe('address the MM1 listener binds'),
        port: z.coerce.number().int().min(0).max(65535).default(8190).describe('MM1 listener port (0 = any free port)'),
        publicUrl: publicUrl
          .optional()
          .describe(
            'the MM1 listener as handsets reach it (through the WAP gateway): Content-Location links start with it; unset = http://<mm1.host>:<mm1.port>',
          ),
        tokenSecret: secret(z.string().min(16))
          .optional()
          .describe(
            'inline, {file} or {env}: secret for retrieval and web-view tokens, the same on every instance (>= 16 characters); unset = random per process (links die with it; warned at start)',
          ),
        msisdnHeader: z
          .string()
          .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
          .default('x-msisdn')
          .describe("request header in which the operator's WAP gateway / GGSN names the subscriber"),
        msisdnFormat: z
          .enum(['e164', 'international', 'national'])
          .default('e164')
          .describe(
            'how the WAP gateway writes the number in msisdnHeader: e164 (+15551234567), international (15551234567), national (0 and the national number; needs defaultCountryCode)',
          ),
        trustedProxies: z
          .array(z.string())
          .superRefine((list, ctx) => {
            for (const e of list) {
              const c = parseCidr(e);
              if (typeof c === 'string') ctx.addIssue({ code: 'custom', message: c });
            }
          })
          .default(['127.0.0.0/8', '::1/128'])
          .describe(
            'source addresses (CIDR, IPv4/IPv6) of the WAP gateways whose msisdnHeader is believed; requests from any other source are refused (403), except the web view',
          ),
        localPrefixes: z
          .array(z.string().regex(/^\+\d+$/, 'a +E.164 prefix'))
          .default([])
          .describe("the operator's own numbering ranges (+E.164 prefixes): local subscribers; [] = every PLMN number"),
        defaultCountryCode: z
          .string()
          .regex(/^[1-9]\d{0,2}$/, '1-3 digits')
          .optional()
          .describe('country code for national numbers handsets send (e.g. 44); required when mm1.msisdnFormat is national'),
        push: z
          .enum(['smpp', 'pap'])
          .default('smpp')
          .describe('bearer of WAP pushes (notifications, reports): SMPP directly, or a PPG over PAP'),
        papUrl: z.string().url().optional().describe("the PPG's PAP URL (user:password@ for Basic auth); required when mm1.push is pap"),
        papAddressDomain: z
          .string()
          .min(1)
          .optional()
          .describe('the @ppg-specifier of PAP addresses (WAPPUSH=+E164/TYPE=PLMN@domain); unset = none'),
        papTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('a PAP request must be answered within this time'),
        pushRate: z.coerce.number().positive().default(100).describe('notifications per second (all instances)'),
        pushMaxInFlight: z.coerce.number().int().min(1).default(100).describe('notifications being pushed at once (all instances)'),
        maxPushes: z.coerce
          .number()
          .int()
          .min(1)
          .default(3)
          .describe(
            'notifications sent for one unretrieved message (the first and re-notifications); a push the bearer could not take is retried and not counted',
          ),
        renotifyMs: z.coerce.number().int().min(1000).default(3_600_000).describe('time between notifications of an unretrieved message'),
        fallbackAfterMs: z.coerce
          .number()
          .int()
          .min(0)
          .default(0)
          .describe(
            'send the SMS fallback (a text with the web-view link) when a message is not retrieved within this time, or its push is refused for good; 0 = no SMS fallback',
          ),
        maxMessageBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(300 * 1024)
          .describe("largest message a handset is sent (the recipient's limit); larger ones are adapted or refused"),
        contentTypes: z
          .array(z.string().regex(/^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/, 'type/subtype or type/*'))
          .default([
            'text/plain',
            'application/smil',
            'image/*',
            'audio/*',
            'video/*',
            'text/x-vcard',
            'text/x-vcalendar',
            'text/vcard',
            'text/calendar',
          ])
          .describe('media types handsets are sent; other parts are removed when adaptation is allowed, else the message is refused'),
        maxBodyBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024)
          .describe('largest request body a handset may send (enforced while reading)'),
        submitRate: z.coerce
          .number()
          .min(0)
          .default(1)
          .describe(
            'm-send-req a subscriber may send per second, sustained (all instances; a flooding handset is answered Error-transient-failure); 0 = no limit',
          ),
        submitBurst: z.coerce
          .number()
          .int()
          .min(1)
          .default(20)
          .describe('m-send-req a subscriber may send at once before submitRate applies'),
        submitMaxInFlight: z.coerce.number().int().min(1).default(4).describe("a subscriber's m-send-req being stored at once"),
        maxRecipients: z.coerce
          .number()
          .int()
          .min(1)
          .default(20)
          .describe(
            'most recipients (To, Cc and Bcc) of one m-send-req, refused Error-permanent-service-denied over it; each recipient takes one submitRate token, so at most mm1.submitBurst while submitRate > 0',
          ),
        requestTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .default(30_000)
          .describe('a request must be received within this time (slow senders are cut off)'),
        headersTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('the request head must arrive within this time'),
        defaultExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(7 * 86_400_000)
          .describe('expiry of a handset message without X-Mms-Expiry'),
        maxExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(30 * 86_400_000)
          .describe('longest expiry a handset may ask for'),
        webViewHost: z.string().min(1).default('127.0.0.1').describe('address the web-view listener binds, when webViewPort is set'),
        tls: httpTls('MM1'),
        webViewTls: httpTls('web-view'),
        webViewPort: z.coerce
          .number()
          .int()
          .min(0)
          .max(65535)
          .optional()
          .describe(
            'port of a listener of its own for the web view (0 = any free port); unset = the web view is served on the MM1 listener',
          ),
        webViewPublicUrl: publicUrl
          .optional()
          .describe(
            'the web view as the public reaches it: SMS fallback links start with it; unset = http://<webViewHost>:<webViewPort>, or mm1.publicUrl without webViewPort',
          ),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.push === 'pap' && v.papUrl === undefined)
          ctx.addIssue({ code: 'custom', path: ['papUrl'], message: 'required when mm1.push is pap' });
        if (v.msisdnFormat === 'national' && v.defaultCountryCode === undefined) {
          ctx.addIssue({ code: 'custom', path: ['defaultCountryCode'], message: 'required when mm1.msisdnFormat is national' });
        }
        // A message to n recipients takes n tokens at once: more than the bucket holds would never be sent.
        if (v.submitRate > 0 && v.maxRecipients > v.submitBurst) {
          ctx.addIssue({
            code: 'custom',
            path: ['maxRecipients'],
            message: `must not exceed mm1.submitBurst (${v.submitBurst}): a message to mm1.maxRecipients takes that many tokens at once`,
          });
        }
      })
      // After parsing, so that an unset publicUrl follows the host and port actually configured (a zod default
      // cannot see them); an explicit one wins.
      .transform((v) => {
        const mm1Url = v.publicUrl ?? listenerUrl(v.host, v.port, v.tls);
        return {
          ...v,
          publicUrl: mm1Url,
          webViewPublicUrl:
            v.webViewPublicUrl ?? (v.webViewPort !== undefined ? listenerUrl(v.webViewHost, v.webViewPort, v.webViewTls) : mm1Url),
        };
      })
      .prefault({}),
    mm4: z
      .object({
        enabled: flag.default(false).describe('run the MM4 (inter-carrier SMTP) listener'),
        host: z.string().min(1).default('127.0.0.1').describe('address the MM4 listener binds'),
        port: z.coerce.number().int().min(0).max(65535).default(2525).describe('MM4 listener port (0 = any free port)'),
        domains: z
          .array(
            z
              .string()
              .min(1)
              .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a domain name, e.g. mms.mnc001.mcc001.gprs')
              .transform((d) => d.toLowerCase()),
          )
          .default([])
          .describe('our own MMS domains (e.g. mms.mnc001.mcc001.gprs): RCPT TO in any other domain is refused (no relay)'),
        maxMessageBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(2 * 1024 * 1024)
          .describe(
            'largest MM4 message (the whole SMTP DATA), announced as SIZE and enforced at MAIL FROM and while DATA streams: above the 1 MB many carriers send, with room for base64 (+37 %)',
          ),
        maxRecipients: z.coerce
          .number()
          .int()
          .min(1)
          .default(100)
          .describe('RCPT TO accepted in one SMTP transaction; more are answered 452'),
        idleTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .default(60_000)
          .describe('an SMTP session with no command (or no DATA bytes) for this long is closed'),
        dataTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .default(120_000)
          .describe('DATA must be received whole within this time (a peer stalling mid-DATA is cut off)'),
        maxConnections: z.coerce.number().int().min(1).default(256).describe('SMTP sessions open at once on this instance, all peers'),
        defaultExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(7 * 86_400_000)
          .describe('expiry of a forwarded message without X-Mms-Expiry'),
        maxExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(30 * 86_400_000)
          .describe('longest expiry a peer may ask for'),
        peers: z
          .array(Mm4PeerSchema)
          .default([])
          .describe(
            'peer carriers: who may send us MM4 and how we send to them (fields below); none = every connection refused, nothing sent',
          ),
        tlsMode: z
          .enum(['none', 'starttls', 'implicit'])
          .default('none')
          .describe('TLS of the listener: none = cleartext only; starttls = offered (RFC 3207); implicit = from the first byte (RFC 8314)'),
        tlsCertFile: z
          .string()
          .min(1)
          .optional()
          .describe('PEM certificate (chain) file of the listener, read at start: required unless mm4.tlsMode is none'),
        tlsKeyFile: z.string().min(1).optional().describe('PEM private key file of mm4.tlsCertFile, read at start'),
        tlsAllowInsecureAuth: flag
          .default(false)
          .describe('with mm4.tlsMode starttls: offer SMTP AUTH before STARTTLS too (the password in clear: private links only)'),
        maxInFlightDataBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(64 * 1024 * 1024)
          .describe(
            'DATA bytes the MM4 listener holds at once, all sessions (each holds up to mm4.maxMessageBytes until parsed); over it a transaction is answered 421 4.3.2 and the peer retries',
          ),
        duplicateWindowMs: z.coerce
          .number()
          .int()
          .min(0)
          .default(86_400_000)
          .describe(
            "a peer's MM4_forward.REQ repeating an X-Mms-Message-ID (same recipients) it sent within this time is answered 250 with the first message's id, not stored twice (0 = off; keep it below queue.retentionMs)",
          ),
        dkimDomain: z
          .string()
          .min(1)
          .optional()
          .describe('DKIM signing domain (d=) of what we send to MM4 peers; with mm4.dkimSelector and mm4.dkimKeyFile; unset = not signed'),
        dkimSelector: z
          .string()
          .min(1)
          .optional()
          .describe('DKIM selector (s=) of MM4: the key is published at <selector>._domainkey.<domain>'),
        dkimKeyFile: z
          .string()
          .min(1)
          .refine((f) => privateKeyProblem(f) === undefined, { error: (i) => String(privateKeyProblem(String(i.input))) })
          .optional()
          .describe('path of the PEM private key that signs MM4 messages to peers (DKIM, RFC 6376)'),
      })
      .strict()
      .superRefine((v, ctx) => {
        const dkim = [v.dkimDomain, v.dkimSelector, v.dkimKeyFile].filter((x) => x !== undefined).length;
        if (dkim !== 0 && dkim !== 3)
          ctx.addIssue({
            code: 'custom',
            path: ['dkimKeyFile'],
            message: 'mm4.dkimDomain, mm4.dkimSelector and mm4.dkimKeyFile go together',
          });
        if (v.tlsMode !== 'none')
          for (const key of ['tlsCertFile', 'tlsKeyFile'] as const)
            if (v[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when mm4.tlsMode is ${v.tlsMode}` });
        const seen = new Set<string>();
        v.peers.forEach((p, i) => {
          if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['peers', i, 'id'], message: `peer id ${p.id} appears twice` });
          seen.add(p.id);
        });
        if (v.enabled && v.domains.length === 0)
          ctx.addIssue({ code: 'custom', path: ['domains'], message: 'required when mm4.enabled is true (our own MMS domains)' });
        // Forwards go out from our first domain (originator addresses, Message-IDs, EHLO).
        if (!v.enabled && v.domains.length === 0 && v.peers.some((p) => p.out !== undefined))
          ctx.addIssue({ code: 'custom', path: ['domains'], message: 'required when a peer has out (our own MMS domains)' });
      })
      .prefault({}),
    mm3: z
      .object({
        enabled: flag
          .default(false)
          .describe('run MM3 (e-mail, 3GPP TS 23.140 §8.3): the inbound listener and the route of e-mail recipients'),
        domain: z
          .string()
          .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a domain name, e.g. mms.example.net')
          .transform((d) => d.toLowerCase())
          .optional()
          .describe('our MMS domain in e-mail: subscribers are +N@domain (short codes code@domain); required when mm3.enabled'),
        host: z.string().min(1).default('127.0.0.1').describe('address the MM3 (e-mail) listener binds'),
        port: z.coerce.number().int().min(0).max(65535).default(2526).describe('MM3 listener port (0 = any free port)'),
        relays: z
          .array(cidrEntry)
          .default([])
          .describe('mail relays (CIDR, or single addresses) allowed to hand us e-mail for subscribers; [] = every connection refused'),
        maxMessageBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(2 * 1024 * 1024)
          .describe(
            'largest e-mail either way: inbound announced as SIZE and enforced at MAIL FROM and while DATA streams; outbound, a bigger one is rejected without connecting',
          ),
        maxRecipients: z.coerce
          .number()
          .int()
          .min(1)
          .default(100)
          .describe('RCPT TO accepted in one inbound SMTP transaction; more are answered 452'),
        idleTimeoutMs: z.coerce.number().int().min(100).default(60_000).describe('an inbound SMTP session idle for this long is closed'),
        dataTimeoutMs: z.coerce.number().int().min(100).default(120_000).describe('inbound DATA must be received whole within this time'),
        maxConnections: z.coerce.number().int().min(1).default(64).describe('inbound SMTP sessions open at once on this instance'),
        inboundRate: z.coerce
          .number()
          .positive()
          .default(50)
          .describe('e-mails per second taken in from all relays (token bucket, all instances)'),
        inboundBurst: z.coerce.number().int().min(1).default(100).describe('token bucket burst for inbound e-mail'),
        defaultExpiryMs: z.coerce
          .number()
          .int()
          .min(60_000)
          .default(7 * 86_400_000)
          .describe('expiry of an MMS made from an inbound e-mail (e-mail has no expiry of its own)'),
        relayHost: z.string().min(1).default('127.0.0.1').describe('SMTP relay (smart host) outbound e-mail goes through'),
        relayPort: z.coerce.number().int().min(1).max(65535).default(25).describe('SMTP relay port'),
        relayTls: z
          .enum(['starttls-required', 'opportunistic', 'implicit', 'none'])
          .default('starttls-required')
          .describe(
            'TLS to the relay: STARTTLS required and verified, opportunistic (unverified STARTTLS when offered), implicit TLS, or none',
          ),
        relayUser: z.string().min(1).optional().describe('SMTP AUTH user at the relay; unset = no AUTH'),
        relayPassword: secret(z.string().min(1))
          .optional()
          .describe('SMTP AUTH password at the relay (with mm3.relayUser); inline, {file} or {env}'),
        relayMaxConnections: z.coerce.number().int().min(1).default(4).describe('concurrent SMTP connections to the relay (pool size)'),
        relayRate: z.coerce.number().positive().default(20).describe('e-mails per second sent to the relay (shared throttle)'),
        relayBurst: z.coerce.number().int().min(1).default(40).describe('token bucket burst towards the relay'),
        dkimDomain: z
          .string()
          .min(1)
          .optional()
          .describe('DKIM signing domain (d=); with mm3.dkimSelector and mm3.dkimKeyFile; unset = not signed'),
        dkimSelector: z.string().min(1).optional().describe('DKIM selector (s=): the key is published at <selector>._domainkey.<domain>'),
        dkimKeyFile: z
          .string()
          .min(1)
          .refine((f) => privateKeyProblem(f) === undefined, { error: (i) => String(privateKeyProblem(String(i.input))) })
          .optional()
          .describe('path of the PEM private key that signs outbound e-mail (DKIM, RFC 6376)'),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.enabled && v.domain === undefined)
          ctx.addIssue({ code: 'custom', path: ['domain'], message: 'required when mm3.enabled is true (our MMS domain in e-mail)' });
        if ((v.relayUser === undefined) !== (v.relayPassword === undefined))
          ctx.addIssue({ code: 'custom', path: ['relayPassword'], message: 'mm3.relayUser and mm3.relayPassword go together' });
        const dkim = [v.dkimDomain, v.dkimSelector, v.dkimKeyFile].filter((x) => x !== undefined).length;
        if (dkim !== 0 && dkim !== 3)
          ctx.addIssue({
            code: 'custom',
            path: ['dkimKeyFile'],
            message: 'mm3.dkimDomain, mm3.dkimSelector and mm3.dkimKeyFile go together',
          });
      })
      .prefault({}),
    outbound: z
      .object({
        allow: z
          .array(z.string().refine((v) => typeof parseCidr(v) !== 'string', { error: (i) => String(parseCidr(String(i.input))) }))
          .default([])
          .describe(
            'address ranges (CIDR, or single addresses) that requests to URLs clients choose (REST callbacks) may reach although refused by default (loopback, private, link-local, CGNAT, metadata, ...); [] = public unicast only',
          ),
      })
      .strict()
      .prefault({}),
    // Flat keys (enumApex, not enum.apex): each is a key of the reference table and an environment variable.
    portability: z
      .object({
        file: z
          .string()
          .min(1)
          .optional()
          .describe(
            'static table of ported numbers, loaded at start: CSV (number,network per line) or JSON ({"+N": network}) by its extension; network = home or an mm4.peers id; unset = none',
          ),
        redis: flag
          .default(false)
          .describe("also look numbers up in the store's table: the Redis hash <queue.prefix>:np (HGET, shared by the instances)"),
        enumEnabled: flag
          .default(false)
          .describe('also look numbers up in ENUM (RFC 6116 NAPTR, mms enumservice RFC 4355), after the tables'),
        enumApex: z
          .string()
          .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a domain name, e.g. e164enum.net')
          .default('e164.arpa')
          .describe('ENUM tree the numbers are looked up under (carriers: usually a private one, e.g. e164enum.net)'),
        enumServers: z
          .array(z.string().min(1))
          .default([])
          .describe('DNS servers for ENUM (host or host:port, [v6]:port); [] = the system resolvers'),
        timeoutMs: z.coerce
          .number()
          .int()
          .min(10)
          .default(500)
          .describe('longest a new message waits for its lookups (all sources); then its numbers are routed by prefix'),
        cacheTtlMs: z.coerce.number().int().min(0).default(3_600_000).describe('how long an answer (number -> network) is kept'),
        negativeTtlMs: z.coerce.number().int().min(0).default(300_000).describe('how long "not ported" is kept'),
        maxEntries: z.coerce
          .number()
          .int()
          .min(0)
          .default(100_000)
          .describe('numbers kept in the cache at most (least recently used dropped)'),
      })
      .strict()
      .prefault({}),
    smpp: z
      .object({
        smscs: z.array(SmscSchema).default([]).describe('SMSC connections (fields below); none = no SMPP'),
        viewUrl: z
          .string()
          .regex(/\{token\}/, 'must contain {token}')
          .optional()
          .describe("the text fallback's link to the message ({token} = the web view token); unset = <mm1.webViewPublicUrl>/m/{token}"),
        stopKeywords: z
          .array(z.string().min(1))
          .default(['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT'])
          .describe('MO texts that opt a subscriber out: the whole text, any case, punctuation around it ignored'),
        startKeywords: z
          .array(z.string().min(1))
          .default(['START', 'SUBSCRIBE', 'UNSTOP'])
          .describe('MO texts that opt a subscriber back in (matched as stopKeywords)'),
        stopReply: z
          .string()
          .default('You will receive no more messages from this service. Reply START to receive them again.')
          .describe('confirmation SMS after STOP ("" = none)'),
        startReply: z
          .string()
          .default('You will receive messages from this service again. Reply STOP to end them.')
          .describe('confirmation SMS after START ("" = none)'),
      })
      .strict()
      .prefault({}),
    api: ApiSchema.describe("the sender's API (REST): media by URL, idempotency, scheduling, webhooks"),
    content: ContentSchema.describe('media types taken, handset and route capabilities, adaptation (docs/adaptation.md)'),
    consent: ConsentSchema.describe('consent registry: keywords, opt-in, frequency caps and quiet hours per sender'),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type VaspConfig = z.infer<typeof VaspSchema>;
export type SmscConfig = z.infer<typeof SmscSchema>;
export type Mm4Config = Config['mm4'];
export type Mm1Config = Config['mm1'];
export type Mm3Config = Config['mm3'];
export type PortabilityConfig = Config['portability'];
export type { ContentConfig } from './config-content.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

/** Environment variables that set a key, derived from the schema's leaves: ops.port -> MMSC_OPS_PORT. */
export function envKeys(): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const [section, shape] of Object.entries(ConfigSchema.shape)) {
    const outer = (shape as unknown as { unwrap(): z.ZodType }).unwrap();
    // A section with a transform (mm1 derives its public URLs) is a pipe whose input is the object.
    const inner = (outer instanceof z.ZodPipe ? outer.in : outer) as z.ZodObject;
    for (const key of Object.keys(inner.shape)) {
      keys.set(`MMSC_${section}_${key}`.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(), [section, key]);
    }
  }
  keys.set('REDIS_URL', ['redis', 'url']);
  return keys;
}

/** Environment variables the gateway reads besides the keys' own. */
const OTHER_ENV = ['MMSC_CONFIG'];

/**
 * MMSC_* variables in the environment that set nothing (a misspelt or made-up key): the value would be
 * ignored without a word, so `mmsc serve` warns about each, with the known name it most resembles when one
 * is close (edit distance).
 */
export function unknownEnvVars(env: NodeJS.ProcessEnv = process.env): { name: string; suggestion?: string }[] {
  const known = [...envKeys().keys(), ...OTHER_ENV];
  const set = new Set(known);
  return Object.keys(env)
    .filter((name) => name.startsWith('MMSC_') && !set.has(name))
    .sort()
    .map((name) => {
      let best: { name: string; d: number } | undefined;
      for (const k of known) {
        const d = editDistance(name, k);
        if (!best || d < best.d) best = { name: k, d };
      }
      return best && best.d <= Math.max(2, Math.floor(name.length / 5)) ? { name, suggestion: best.name } : { name };
    });
}

/** Levenshtein distance (insertions, deletions, substitutions), for "did you mean". */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** A config key named in an error message, e.g. "queue.maxAttempts". */
const KEY_MENTION = /\b(?:ops|log|redis|queue|mm7|mm1|mm3|mm4|smpp|portability|api|consent|content)\.[A-Za-z]+\b/g;
const KNOWN_KEYS = new Set([...envKeys().values()].map((k) => k.join('.')));

/** Whether a parsed JSON value has something at `path` (object keys and array indexes). */
function has(value: unknown, path: readonly string[]): boolean {
  let v = value;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null || !(seg in v)) return false;
    v = (v as Record<string, unknown>)[seg];
  }
  return v !== undefined;
}

/** Keys whose environment value is a comma-separated list, or JSON. */
const LIST_KEYS = new Set([
  'redis.cluster',
  'mm1.trustedProxies',
  'mm7.trustedProxies',
  'outbound.allow',
  'mm4.domains',
  'mm3.relays',
  'portability.enumServers',
]);
const JSON_KEYS = new Set([
  'ops.tls',
  'mm7.tls',
  'mm1.tls',
  'mm1.webViewTls',
  'ops.tokens',
  'mm7.vasps',
  'mm7.tls',
  'mm1.tls',
  'mm1.webViewTls',
  'ops.tls',
  'mm4.peers',
  'smpp.smscs',
  'smpp.stopKeywords',
  'smpp.startKeywords',
  'mm1.localPrefixes',
  'mm1.contentTypes',
  'consent.senders',
  'api.media',
  'content.allowedTypes',
  'content.userAgents',
  'content.routes',
  'content.uaprof',
]);

/** How the environment variable of a key (section.key) is written: a comma-separated list, JSON, or as is (undefined). */
export function envForm(key: string): 'list' | 'json' | undefined {
  return LIST_KEYS.has(key) ? 'list' : JSON_KEYS.has(key) ? 'json' : undefined;
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.MMSC_CONFIG;
  let raw: Record<string, Record<string, unknown>> = {};
  let read: ConfigFile | undefined;
  if (file) {
    try {
      read = readConfigFile(file);
    } catch (e) {
      throw new ConfigError(`config file ${file}: ${(e as Error).message}`);
    }
    raw = read.data as typeof raw;
  }
  // What the file said, before the environment is laid over it: where a failing value came from.
  const fromFile = structuredClone(raw) as unknown;
  const origin = new Map<string, string>();
  for (const [name, [section, key]] of envKeys()) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    const s = (raw[section!] ??= {});
    if (JSON_KEYS.has(`${section}.${key}`)) {
      try {
        s[key!] = JSON.parse(v) as unknown;
      } catch (e) {
        throw new ConfigError(`${section}.${key}: env ${name} is not JSON (${(e as Error).message})`);
      }
    } else s[key!] = LIST_KEYS.has(`${section}.${key}`) ? v.split(',').map((x) => x.trim()) : v;
    origin.set(`${section}.${key}`, `env ${name}`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    /** Where the value at a dotted path came from: the environment, the file, or the schema's default. */
    const sourceOf = (path: string): string => {
      const segments = path.split('.');
      const fromEnv = origin.get(segments.slice(0, 2).join('.'));
      if (fromEnv) return fromEnv;
      // The key itself, or a field missing from an object the file gave (a VASP, an SMSC).
      if (file && (has(fromFile, segments) || (segments.length > 2 && has(fromFile, segments.slice(0, -1))))) {
        const line = read?.lineOf(segments);
        return `file ${file}${line !== undefined ? `:${line}` : ''}`;
      }
      return 'default';
    };
    const lines = parsed.error.issues.flatMap((i) => {
      const path = i.path.join('.');
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key (from ${sourceOf(path ? `${path}.${k}` : k)})`);
      }
      // A check across keys names the others in its message ("required when mm1.push is pap"): say
      // where each of them came from, so that the one to change can be found.
      const others = [...new Set(i.message.match(KEY_MENTION) ?? [])].filter((k) => k !== path && KNOWN_KEYS.has(k));
      if (others.length === 0) return [`${path || '(root)'}: ${i.message} (from ${sourceOf(path)})`];
      return [`${path || '(root)'}: ${i.message} (${[path, ...others].map((k) => `${k} from ${sourceOf(k)}`).join(', ')})`];
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}
