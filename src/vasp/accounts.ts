import type { IncomingMessage } from 'node:http';
import type { SubmitRequest } from '../core/intake.js';
import type { VaspConfig } from '../ops/config.js';
import { matchSecret, sameSecret } from '../ops/secret.js';
import { clientAddress } from '../transport/client-address.js';
import { verifiedPeerCertificate } from '../transport/http-tls.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { CidrList } from '../transport/ip-ranges.js';

/** 401: no (valid) credentials, answered with a challenge; 403: credentials of an account not allowed from there. */
type AuthStatus = typeof HTTP_STATUS.UNAUTHORIZED | typeof HTTP_STATUS.FORBIDDEN;

/**
 * What a credential may do (issue 24, "Accounts and keys"): `send` submits, uploads and cancels; `read` lists
 * and looks; `full` both. HTTP Basic and client certificates authenticate the whole account: `full`.
 */
export type ApiScope = 'send' | 'read' | 'full';

/** `client`: the address the request comes from (X-Forwarded-For when from mm7.trustedProxies), for the log. */
export type Authentication =
  | { ok: true; vasp: VaspConfig; by: 'certificate' | 'basic' | 'apikey'; scope: ApiScope; key?: string; client: string }
  | { ok: false; status: AuthStatus; reason: string; client: string };

/** Compared against when the user name is unknown, so that the check costs the same either way. */
const NO_PASSWORD = 'no such account: compared so that timing does not tell';

/**
 * The VASP accounts. A request is authenticated by the client certificate of its TLS connection (verified
 * against mm7.tls.caFile, and matching a VASP's clientCert subject CN and/or SHA-256 fingerprint), else by
 * HTTP Basic (RFC 7617) against the configured credentials; then the optional source-address allow-list
 * (CIDR ranges). Every VASP's user name is compared (no early exit) and one password check is made whether
 * or not the name exists, so that timing does not reveal which user names exist.
 */
export class VaspDirectory {
  private readonly byId = new Map<string, VaspConfig>();
  private readonly allowed = new Map<string, CidrList>();
  private readonly proxies: CidrList;
  /** What an unknown user name's password is checked against: a stored password of the same kind as the others. */
  private readonly decoy: string;

  constructor(
    private readonly vasps: readonly VaspConfig[],
    trustedProxies: readonly string[] = [],
  ) {
    for (const v of vasps) {
      if (this.byId.has(v.id)) throw new RangeError(`mm7.vasps: VASP id ${v.id} appears twice`);
      this.byId.set(v.id, v);
      if (v.allowIps) this.allowed.set(v.id, new CidrList(v.allowIps));
    }
    this.proxies = new CidrList(trustedProxies);
    this.decoy = vasps.find((v) => v.password !== undefined)?.password ?? NO_PASSWORD;
  }

  get(id: string): VaspConfig | undefined {
    return this.byId.get(id);
  }

  async authenticate(req: IncomingMessage): Promise<Authentication> {
    const client = clientAddress(req, this.proxies);
    const byCert = this.byCertificate(req);
    const who = byCert ? { ok: true as const, vasp: byCert, by: 'certificate' as const } : await this.byBasic(req);
    if (!who.ok) return { ...who, client };
    // -- issue 24: API keys (Bearer) authenticate here too, with their scope
    const allowed = this.allowed.get(who.vasp.id);
    if (allowed && !allowed.has(client))
      return { ok: false, status: HTTP_STATUS.FORBIDDEN, reason: `source address ${client} not allowed for VASP ${who.vasp.id}`, client };
    return { ...who, scope: 'full', client };
  }

  /** The VASP whose clientCert the connection's verified certificate matches (both fields when both are set). */
  private byCertificate(req: IncomingMessage): VaspConfig | undefined {
    const cert = verifiedPeerCertificate(req.socket);
    if (!cert) return undefined;
    return this.vasps.find(
      (v) =>
        v.clientCert !== undefined &&
        (v.clientCert.subject === undefined || v.clientCert.subject === cert.subjectCN) &&
        (v.clientCert.fingerprint256 === undefined || v.clientCert.fingerprint256 === cert.fingerprint256),
    );
  }

  private async byBasic(
    req: IncomingMessage,
  ): Promise<{ ok: true; vasp: VaspConfig; by: 'basic' } | { ok: false; status: AuthStatus; reason: string }> {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'HTTP Basic credentials (or a client certificate) required' };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'malformed Basic credentials' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    let found: VaspConfig | undefined;
    for (const v of this.vasps) {
      const match = sameSecret(v.username, user);
      if (match && !found) found = v;
    }
    // One check whatever the name: a stored scrypt hash costs a derivation, known name or not.
    const right = await matchSecret(found?.password ?? this.decoy, password);
    if (!found || found.password === undefined || !right)
      return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'unknown user name or wrong password' };
    return { ok: true, vasp: found, by: 'basic' };
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
