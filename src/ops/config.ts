import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The gateway's one configuration: a typed schema with the default and a one-line explanation beside each
 * key. Sources, later wins: defaults < JSON file (--config or MMSC_CONFIG) < environment (MMSC_<PATH>, e.g.
 * MMSC_OPS_PORT for ops.port; REDIS_URL for redis.url). A bad value fails at start naming the key.
 * zod because it gives the static type, defaults and path-naming errors from one declaration, which a
 * hand-written validator would have to keep in step by hand as interfaces add their keys.
 */
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
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

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

/** Keys whose environment value is a comma-separated list. */
const LIST_KEYS = new Set(['redis.cluster']);

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
    s[key!] = LIST_KEYS.has(`${section}.${key}`) ? v.split(',').map((x) => x.trim()) : v;
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
