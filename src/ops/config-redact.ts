// The effective configuration with its secrets hidden (`mmsc config print`): safe to paste into a ticket or a
// chat. A key is secret when its schema carries SECRET_META (secret() and verifiableSecret() in secret.ts tag
// it), or, for keys not (yet) declared that way, when its name says so (password, token, secret, ...). The
// user:password@ of a URL (redis.url, mm1.papUrl) is hidden too, whatever the key.
import { z } from 'zod';
import { SECRET_META } from './secret.js';

export const REDACTED = '<redacted>';

/** Key names that hold a secret whatever their schema says: authPassword, relayPassword, tokenSecret, token... */
const SECRET_NAME = /(?:password|secret|token)$/i;

/** The schemas a key's schema wraps (optional, default, prefault, nullable, both sides of a pipe). */
function layers(s: z.ZodType): z.ZodType[] {
  const seen: z.ZodType[] = [];
  const queue = [s];
  while (queue.length > 0 && seen.length < 32) {
    const t = queue.shift()!;
    seen.push(t);
    if (t instanceof z.ZodDefault || t instanceof z.ZodPrefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable)
      queue.push(t.def.innerType as z.ZodType);
    else if (t instanceof z.ZodPipe) queue.push(t.def.in as z.ZodType, t.def.out as z.ZodType);
  }
  return seen;
}

/** Whether a key's schema is tagged secret (SECRET_META, at any layer). */
export function isSecretSchema(s: z.ZodType): boolean {
  return layers(s).some((t) => z.globalRegistry.get(t)?.secret === SECRET_META.secret);
}

function objectShape(s: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  const o = s === undefined ? undefined : layers(s).find((t) => t instanceof z.ZodObject);
  return o === undefined ? undefined : (o.shape as Record<string, z.ZodType>);
}

function arrayElement(s: z.ZodType | undefined): z.ZodType | undefined {
  const a = s === undefined ? undefined : layers(s).find((t) => t instanceof z.ZodArray);
  return a === undefined ? undefined : (a.def.element as z.ZodType);
}

/** A URL's password replaced (redis://:pw@host, https://user:pw@ppg); anything else as it is. */
function redactUrl(v: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(v) || !URL.canParse(v)) return v;
  const u = new URL(v);
  if (u.password === '') return v;
  u.password = 'redacted';
  return u.toString();
}

function hide(v: unknown): unknown {
  if (typeof v !== 'string') return v === undefined ? v : REDACTED;
  if (v === '') return v; // an empty password says nothing, and that it is empty helps
  return v.startsWith('scrypt$') ? `${REDACTED} (scrypt hash)` : REDACTED;
}

function walk(v: unknown, s: z.ZodType | undefined, key: string | undefined): unknown {
  if (key !== undefined && ((s !== undefined && isSecretSchema(s)) || SECRET_NAME.test(key))) return hide(v);
  if (typeof v === 'string') return redactUrl(v);
  if (Array.isArray(v)) {
    const element = arrayElement(s);
    return v.map((x) => walk(x, element, undefined));
  }
  if (typeof v === 'object' && v !== null) {
    const shape = objectShape(s);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, shape?.[k], k)]));
  }
  return v;
}

/** A copy of `value` (parsed by `schema`) with every secret replaced by REDACTED. */
export function redactConfig(value: unknown, schema: z.ZodType): unknown {
  return walk(value, schema, undefined);
}
