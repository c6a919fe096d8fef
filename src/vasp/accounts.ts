import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SubmitRequest } from '../core/intake.js';
import type { VaspConfig } from '../ops/config.js';
import { HTTP_STATUS } from '../transport/http-status.js';

/** 401: no (valid) credentials, answered with a challenge; 403: credentials of an account not allowed from there. */
type AuthStatus = typeof HTTP_STATUS.UNAUTHORIZED | typeof HTTP_STATUS.FORBIDDEN;

export type Authentication = { ok: true; vasp: VaspConfig } | { ok: false; status: AuthStatus; reason: string };

/** Constant-time comparison of two secrets of any length (the length itself is not hidden). */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The VASP accounts: HTTP Basic (RFC 7617) against the configured credentials, then the optional
 * source-address allow-list. Every VASP is checked (no early exit on the user name) so that timing does
 * not reveal which user names exist.
 */
export class VaspDirectory {
  private readonly byId = new Map<string, VaspConfig>();

  constructor(private readonly vasps: readonly VaspConfig[]) {
    for (const v of vasps) {
      if (this.byId.has(v.id)) throw new RangeError(`mm7.vasps: VASP id ${v.id} appears twice`);
      this.byId.set(v.id, v);
    }
  }

  get(id: string): VaspConfig | undefined {
    return this.byId.get(id);
  }

  authenticate(req: IncomingMessage): Authentication {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'HTTP Basic credentials required' };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'malformed Basic credentials' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    let found: VaspConfig | undefined;
    for (const v of this.vasps) {
      const match = same(v.username, user) && same(v.password, password);
      if (match && !found) found = v;
    }
    if (!found) return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'unknown user name or wrong password' };
    const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (found.allowIps && !found.allowIps.includes(ip))
      return { ok: false, status: HTTP_STATUS.FORBIDDEN, reason: `source address ${ip} not allowed for VASP ${found.id}` };
    return { ok: true, vasp: found };
  }
}

/**
 * What a VASP's submissions (MM7 SubmitReq and REST POST /v1/messages alike) take to core intake: the
 * account's one inbound budget (a slot held at most `slotMs`, the request timeout), and a recipient no route reaches is accepted and reported rejected (the VASP
 * learns it per recipient, in its delivery report, as for any other failed delivery).
 */
export function vaspIntake(vasp: VaspConfig, slotMs: number): Pick<SubmitRequest, 'from' | 'throttle' | 'unroutable'> {
  return {
    from: { kind: 'vasp', id: vasp.id },
    throttle: { limits: { rate: vasp.rate, burst: vasp.burst, maxInFlight: vasp.maxInFlight }, slotMs },
    unroutable: 'enqueue-rejected',
  };
}
