import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { namespaceFor } from '../../protocols/mm7/index.js';

/**
 * The gateway's one configuration: a typed schema with the default and a one-line explanation beside each
 * key. Sources, later wins: defaults < JSON file (--config or MMSC_CONFIG) < environment (MMSC_<PATH>, e.g.
 * MMSC_OPS_PORT for ops.port; REDIS_URL for redis.url). A bad value fails at start naming the key.
 * zod because it gives the static type, defaults and path-naming errors from one declaration, which a
 * hand-written validator would have to keep in step by hand as interfaces add their keys.
 */
/** A boolean from JSON, or from the environment as true/false/1/0 (z.coerce.boolean would read "false" as true). */
const flag = z.preprocess((v) => (typeof v === 'string' ? ({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.toLowerCase()] ?? v : v), z.boolean());

function isMm7Schema(v: string): boolean {
  try {
    namespaceFor(v);
    return true;
  } catch {
    return false;
  }
}

/** One content provider allowed to use MM7 (and the REST API). */
export const VaspSchema = z
  .object({
    id: z.string().min(1).regex(/^[^{}\s]+$/, 'no braces or spaces').describe('VASPID; also the queue/throttle peer id of deliveries to this VASP'),
    username: z.string().min(1).describe('HTTP Basic user name'),
    password: z.string().min(1).describe('HTTP Basic password'),
    allowIps: z.array(z.string().min(1)).optional().describe('source addresses allowed (exact match); unset = any'),
    senders: z.array(z.string().min(1)).min(1).describe('sender addresses / short codes this VASP may use; the first is the default'),
    maxMessageBytes: z.coerce.number().int().min(1).default(300 * 1024).describe('largest message (content bytes) accepted from this VASP'),
    rate: z.coerce.number().positive().default(50).describe('submissions per second accepted from this VASP (token bucket, all instances)'),
    burst: z.coerce.number().int().min(1).default(50).describe('token bucket burst for submissions'),
    maxInFlight: z.coerce.number().int().min(1).default(20).describe('requests of this VASP processed at once: per listener before the body is read, and submissions across instances'),
    url: z.string().url().optional().describe("the VASP's own MM7 URL for deliveries and reports"),
    callbackUrlPrefixes: z
      .array(z.string().url())
      .optional()
      .describe('REST callbackUrl must start with one of these (unset = any http(s) URL): the gateway POSTs from inside the network'),
    version: z
      .string()
      .default('REL-6-MM7-1-4')
      .refine(isMm7Schema, 'expected an MM7 schema, REL-5-MM7-1-0 .. REL-6-MM7-1-4 (or its namespace URI)')
      .describe('schema version the VASP is sent (REL-5-MM7-1-0 .. REL-6-MM7-1-4)'),
    deliveryRate: z.coerce.number().positive().default(20).describe('requests per second sent to the VASP (deliveries, reports; all instances)'),
    deliveryBurst: z.coerce.number().int().min(1).default(20).describe('token bucket burst for requests to the VASP'),
    deliveryMaxInFlight: z.coerce.number().int().min(1).default(10).describe('requests to the VASP in progress at once (all instances)'),
  })
  .strict();

/** One SMSC connection (SMPP 3.4 ESME side). */
export const SmscSchema = z
  .object({
    id: z.string().min(1).regex(/^[^{}\s]+$/, 'no braces or spaces').describe('connection name; the queue/throttle peer is smpp:<id>'),
    host: z.string().min(1).describe('SMSC address'),
    port: z.coerce.number().int().min(1).max(65535).default(2775).describe('SMSC port'),
    systemId: z.string().min(1).max(15).describe('bind system_id'),
    password: z.string().max(8).default('').describe('bind password (SMPP 3.4: at most 8 characters)'),
    systemType: z.string().max(12).optional().describe('bind system_type'),
    bindMode: z.enum(['transceiver', 'transmitter+receiver']).default('transceiver').describe('one transceiver session, or a transmitter and a receiver'),
    window: z.coerce.number().int().min(1).max(1000).default(10).describe('submit_sm outstanding at once'),
    enquireLinkMs: z.coerce.number().int().min(1000).default(30_000).describe('keep-alive interval'),
    prefixes: z.array(z.string().regex(/^\+?\d*$/, 'digits, optionally after +')).default([]).describe("destinations this SMSC serves, by prefix of +E.164 (longest match wins); [] = any"),
    rate: z.coerce.number().positive().default(100).describe('submit_sm per second (all instances)'),
    burst: z.coerce.number().int().min(1).default(100).describe('token bucket burst'),
    maxInFlight: z.coerce.number().int().min(1).default(100).describe('deliveries in progress at once over this SMSC (all instances)'),
    registeredDelivery: flag.default(true).describe('ask for delivery receipts'),
    sourceAddr: z.string().min(1).default('MMSC').describe('source address of text SMS (fallback, confirmations)'),
    messagePayload: flag.default(false).describe('send long text in one message_payload TLV instead of concatenated segments'),
  })
  .strict();

export const ConfigSchema = z
  .object({
    ops: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('address the ops listener (metrics, health) binds'),
        port: z.coerce.number().int().min(0).max(65535).default(9464).describe('ops listener port (0 = any free port)'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z.string().url().optional().describe('Redis URL (redis://host:port/db); unset (and no cluster) = embedded, non-durable store'),
        cluster: z
          .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port'))
          .optional()
          .describe('Redis Cluster seed nodes (host:port, ...): uses the ioredis Cluster client instead of url'),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        prefix: z.string().regex(/^[^{}\s]+$/, 'no braces or spaces').default('mmsc').describe('key prefix shared by the instances of one deployment'),
        shards: z.coerce.number().int().min(1).max(1024).default(1).describe('queue shards: 1 on a single Redis; e.g. 16 on a Cluster (same on every instance)'),
        leaseMs: z.coerce.number().int().min(1000).default(60_000).describe('how long a worker holds a job before it is handed out again'),
        maxAttempts: z.coerce.number().int().min(1).default(10).describe('delivery attempts before a job is dead-lettered'),
        retentionMs: z.coerce.number().int().min(0).default(86_400_000).describe('how long a finished message and its content are kept'),
        concurrency: z.coerce.number().int().min(1).default(64).describe('deliveries in progress at once in this instance'),
        retryBaseMs: z.coerce.number().int().min(1).default(5_000).describe('first retry delay; doubles each attempt (+-20 % jitter)'),
        retryMaxMs: z.coerce.number().int().min(1).default(3_600_000).describe('longest retry delay'),
      })
      .strict()
      .prefault({}),
    mm7: z
      .object({
        enabled: flag.default(true).describe('run the MM7 (VASP) listener'),
        host: z.string().min(1).default('127.0.0.1').describe('address the MM7 listener binds'),
        port: z.coerce.number().int().min(0).max(65535).default(8007).describe('MM7 listener port (0 = any free port)'),
        relayServerId: z.string().min(1).default('mmsc').describe('MMSRelayServerID sent to VASPs'),
        maxBodyBytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024).describe('largest request body, for any VASP (enforced while reading)'),
        maxElements: z.coerce.number().int().min(16).default(5_000).describe('most XML elements in one SOAP envelope'),
        maxAttributes: z.coerce.number().int().min(16).default(5_000).describe('most XML attributes in one SOAP envelope (namespace declarations included)'),
        maxXmlTokens: z.coerce.number().int().min(64).default(20_000).describe('most XML tokens in one SOAP envelope: tags, attributes, references, comments, CDATA sections, PIs'),
        maxEnvelopeBytes: z.coerce.number().int().min(1024).default(256 * 1024).describe('largest SOAP envelope (the XML part; attachments are not in it), enforced while reading'),
        maxInFlightBodyBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .default(256 * 1024 * 1024)
          .describe('request body bytes being received at once on the MM7 listener (MM7 and REST); over it a request is refused at once, transiently'),
        requestTimeoutMs: z.coerce.number().int().min(100).default(30_000).describe('a request must be received within this time (slow senders are cut off)'),
        headersTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('the request head must arrive within this time'),
        defaultExpiryMs: z.coerce.number().int().min(60_000).default(7 * 86_400_000).describe('expiry of a submitted message without ExpiryDate'),
        maxExpiryMs: z.coerce.number().int().min(60_000).default(30 * 86_400_000).describe('longest expiry a VASP may ask for'),
        clientTimeoutMs: z.coerce.number().int().min(100).default(30_000).describe('a request to a VASP (or a REST callback) must be answered within this time'),
        vasps: z.array(VaspSchema).default([]).describe('VASP accounts (file, or MMSC_MM7_VASPS as a JSON array)'),
      })
      .strict()
      .prefault({}),
    mm1: z
      .object({
        enabled: flag.default(true).describe('run the MM1 (handset) listener: retrieval, m-send-req, acknowledgements, web view'),
        host: z.string().min(1).default('127.0.0.1').describe('address the MM1 listener binds'),
        port: z.coerce.number().int().min(0).max(65535).default(8190).describe('MM1 listener port (0 = any free port)'),
        publicUrl: z
          .string()
          .url()
          .regex(/^https?:\/\/[^/]+(\/.*[^/])?$/, 'an http(s) URL without a trailing slash')
          .default('http://127.0.0.1:8190')
          .describe('the MM1 listener as handsets reach it (through the WAP gateway): Content-Location and web-view links start with it'),
        tokenSecret: z
          .string()
          .min(16)
          .optional()
          .describe('secret for retrieval and web-view tokens, the same on every instance (>= 16 characters); unset = random per process (links die with it)'),
        msisdnHeader: z
          .string()
          .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
          .default('x-msisdn')
          .describe("request header in which the operator's WAP gateway / GGSN names the subscriber"),
        localPrefixes: z
          .array(z.string().regex(/^\+\d+$/, 'a +E.164 prefix'))
          .default([])
          .describe("the operator's own numbering ranges (+E.164 prefixes): local subscribers; [] = every PLMN number"),
        defaultCountryCode: z.string().regex(/^[1-9]\d{0,2}$/, '1-3 digits').optional().describe('country code for national numbers handsets send (e.g. 44)'),
        push: z.enum(['smpp', 'pap']).default('smpp').describe('bearer of WAP pushes (notifications, reports): SMPP directly, or a PPG over PAP'),
        papUrl: z.string().url().optional().describe('the PPG\'s PAP URL (user:password@ for Basic auth), when push = pap'),
        papAddressDomain: z.string().min(1).optional().describe('the @ppg-specifier of PAP addresses (WAPPUSH=+E164/TYPE=PLMN@domain); unset = none'),
        papTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('a PAP request must be answered within this time'),
        pushRate: z.coerce.number().positive().default(100).describe('notifications per second (all instances)'),
        pushMaxInFlight: z.coerce.number().int().min(1).default(100).describe('notifications being pushed at once (all instances)'),
        maxPushes: z.coerce.number().int().min(1).default(3).describe('notifications sent for one unretrieved message (the first and re-notifications)'),
        renotifyMs: z.coerce.number().int().min(1000).default(3_600_000).describe('time between notifications of an unretrieved message'),
        fallbackAfterMs: z.coerce
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('send the SMS fallback (a text with the web-view link) when a message is not retrieved within this time, or its push is refused for good; 0 = no SMS fallback'),
        maxMessageBytes: z.coerce.number().int().min(1024).default(300 * 1024).describe("largest message a handset is sent (the recipient's limit); larger ones are adapted or refused"),
        contentTypes: z
          .array(z.string().regex(/^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/, 'type/subtype or type/*'))
          .default(['text/plain', 'application/smil', 'image/*', 'audio/*', 'video/*', 'text/x-vcard', 'text/x-vcalendar', 'text/vcard', 'text/calendar'])
          .describe('media types handsets are sent; other parts are removed when adaptation is allowed, else the message is refused'),
        maxBodyBytes: z.coerce.number().int().min(1024).default(1024 * 1024).describe('largest request body a handset may send (enforced while reading)'),
        submitRate: z.coerce
          .number()
          .min(0)
          .default(1)
          .describe('m-send-req a subscriber may send per second, sustained (all instances; a flooding handset is answered Error-transient-failure); 0 = no limit'),
        submitBurst: z.coerce.number().int().min(1).default(20).describe('m-send-req a subscriber may send at once before submitRate applies'),
        submitMaxInFlight: z.coerce.number().int().min(1).default(4).describe("a subscriber's m-send-req being stored at once"),
        requestTimeoutMs: z.coerce.number().int().min(100).default(30_000).describe('a request must be received within this time'),
        headersTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('the request head must arrive within this time'),
        defaultExpiryMs: z.coerce.number().int().min(60_000).default(7 * 86_400_000).describe('expiry of a handset message without X-Mms-Expiry'),
        maxExpiryMs: z.coerce.number().int().min(60_000).default(30 * 86_400_000).describe('longest expiry a handset may ask for'),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.push === 'pap' && v.papUrl === undefined) ctx.addIssue({ code: 'custom', path: ['papUrl'], message: 'required when mm1.push is pap' });
      })
      .prefault({}),
    smpp: z
      .object({
        smscs: z.array(SmscSchema).default([]).describe('SMSC connections (file, or MMSC_SMPP_SMSCS as a JSON array); none = no SMPP'),
        viewUrl: z
          .string()
          .regex(/\{token\}/, 'must contain {token}')
          .optional()
          .describe("the text fallback's link to the message ({token} = the web view token); unset = <mm1.publicUrl>/m/{token}"),
        stopKeywords: z.array(z.string().min(1)).default(['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT']).describe('MO words that opt a subscriber out'),
        startKeywords: z.array(z.string().min(1)).default(['START', 'SUBSCRIBE', 'UNSTOP']).describe('MO words that opt a subscriber back in'),
        stopReply: z.string().default('You will receive no more messages from this service. Reply START to receive them again.').describe('confirmation SMS after STOP ("" = none)'),
        startReply: z.string().default('You will receive messages from this service again. Reply STOP to end them.').describe('confirmation SMS after START ("" = none)'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Each notification (and each wait between them) is a delivery attempt: the last one must not be the
    // job's last attempt, or an unretrieved message would be dead-lettered instead of waiting for expiry.
    if (c.mm1.enabled && c.mm1.maxPushes >= c.queue.maxAttempts) {
      ctx.addIssue({ code: 'custom', path: ['mm1', 'maxPushes'], message: `must be below queue.maxAttempts (${c.queue.maxAttempts})` });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type VaspConfig = z.infer<typeof VaspSchema>;
export type SmscConfig = z.infer<typeof SmscSchema>;
export type Mm1Config = Config['mm1'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

/** Environment variables that set a key, derived from the schema's leaves: ops.port -> MMSC_OPS_PORT. */
export function envKeys(): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const [section, shape] of Object.entries(ConfigSchema.shape)) {
    const inner = (shape as unknown as { unwrap(): z.ZodObject }).unwrap();
    for (const key of Object.keys(inner.shape)) {
      keys.set(`MMSC_${section}_${key}`.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(), [section, key]);
    }
  }
  keys.set('REDIS_URL', ['redis', 'url']);
  return keys;
}

/** Keys whose environment value is a comma-separated list, or JSON. */
const LIST_KEYS = new Set(['redis.cluster']);
const JSON_KEYS = new Set(['mm7.vasps', 'smpp.smscs', 'smpp.stopKeywords', 'smpp.startKeywords', 'mm1.localPrefixes', 'mm1.contentTypes']);

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.MMSC_CONFIG;
  let raw: Record<string, Record<string, unknown>> = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
    } catch (e) {
      throw new ConfigError(`config file ${file}: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`config file ${file}: expected a JSON object`);
  }
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
    const lines = parsed.error.issues.flatMap((i) => {
      const path = i.path.join('.');
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key (from ${file ? `file ${file}` : 'defaults'})`);
      }
      const from = origin.get(path) ?? (file ? `file ${file}` : 'defaults');
      return [`${path || '(root)'}: ${i.message} (from ${from})`];
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}
