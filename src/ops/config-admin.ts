// The admin API's keys of the configuration (`ops.tokens`): who may call /admin on the ops listener, and with
// which role. A file of its own so that config.ts takes one line for it.
import { z } from 'zod';
import { verifiableSecret } from './secret.js';

/** One bearer token of the admin API. */
export const AdminTokenSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ -')
      .describe('who holds the token: logged with every action it makes (the token itself never is)'),
    token: verifiableSecret(z.string().min(16, 'at least 16 characters (use e.g. `openssl rand -hex 24`)')).describe(
      'the bearer token (Authorization: Bearer ...): inline, {file}, {env}, or an scrypt hash made by `mmsc secret hash`',
    ),
    role: z.enum(['read', 'operate']).default('read').describe('read: look only; operate: also requeue, discard, cancel, pause, reload'),
  })
  .strict();

export type AdminTokenConfig = z.infer<typeof AdminTokenSchema>;

/** `ops.tokens`: none by default, and then /admin answers 401 to everything. */
export const adminTokens = z
  .array(AdminTokenSchema)
  .default([])
  .refine((list) => new Set(list.map((t) => t.name)).size === list.length, { message: 'token names must be unique' })
  .describe('bearer tokens of the admin API (/admin on the ops listener); none: the admin API answers 401 to everything');
