import type { AdminTokenConfig } from '../config-admin.js';
import { matchSecret } from '../secret.js';
import type { AdminCaller, AdminRole } from './types.js';

/**
 * Bearer tokens of the admin API (RFC 6750 §2.1: `Authorization: Bearer <token>`), checked against
 * `ops.tokens`. A token may be stored as an scrypt hash (secret.ts): its check runs off the event loop, and a
 * right one is remembered, so a client repeating it costs one derivation.
 */
export class AdminAuth {
  constructor(private readonly tokens: readonly AdminTokenConfig[]) {}

  /** Whether any token is configured (none: every admin call is refused 401). */
  get enabled(): boolean {
    return this.tokens.length > 0;
  }

  /** The caller the header names, or undefined (no header, not Bearer, or no token matches). */
  async authenticate(header: string | undefined): Promise<AdminCaller | undefined> {
    const m = /^Bearer +([\x21-\x7e]{1,512}) *$/i.exec(header ?? '');
    if (!m) return undefined;
    const candidate = m[1]!;
    for (const t of this.tokens) {
      if (await matchSecret(t.token, candidate)) return { name: t.name, role: t.role };
    }
    return undefined;
  }
}

/** Whether `has` may do what needs `needs`: operate includes read. */
export function allows(has: AdminRole, needs: AdminRole): boolean {
  return has === 'operate' || needs === 'read';
}
