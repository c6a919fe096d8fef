import type { IncomingMessage } from 'node:http';
import type { SubmitRequest } from '../core/intake.js';
import type { VaspConfig } from '../ops/config.js';
import { apiKeyHash } from '../ops/api-key.js';
import type { ApiKeyConfig } from '../ops/config-api-keys.js';
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

/**
 * `client`: the address the request comes from (X-Forwarded-For when from mm7.trustedProxies), for the log.
 * `challenge`: the WWW-Authenticate of a 401 (RFC 9110 §11.6.1): Bearer for a refused API key (RFC 6750 §3),
 * else Basic.
 */
export type Authentication =
  | { ok: true; vasp: VaspConfig; by: 'certificate' | 'basic' | 'apikey'; scope: ApiScope; key?: string; client: string }
  | { ok: false; status: AuthStatus; reason: string; client: string; challenge?: string };

/** Where the request goes: API keys authenticate the REST API (/v1/) only. */
export type AuthSurface = 'mm7' | 'rest';

const BASIC_CHALLENGE = 'Basic realm="MM7"';
const BEARER_CHALLENGE = 'Bearer realm="MM7", error="invalid_token"';

/** RFC 6750 §2.1: `Bearer` and a b64token. Longer than any key we make by far: not hashed, refused. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*) *$/i;

/** Compared against when the user name is unknown, so that the check costs the same either way. */
const NO_PASSWORD = 'no such account: compared so that timing does not tell';

/** Compared against when no key has the digest: the stored form's length, matching no key (not hex). */
const NO_KEY = `sha256:${'x'.repeat(64)}`;

type Refused = { ok: false; status: AuthStatus; reason: string; challenge?: string };

/**
 * The VASP accounts. A request is authenticated by the client certificate of its TLS connection (verified
 * against mm7.tls.caFile, and matching a VASP's clientCert subject CN and/or SHA-256 fingerprint), else by
 * HTTP Basic (RFC 7617) against the configured credentials, or (REST only) by an API key (RFC 6750 Bearer,
 * mm7.vasps[].apiKeys, with its scope); then the optional source-address allow-list
 * (CIDR ranges). Every VASP's user name is compared (no early exit) and one password check is made whether
 * or not the name exists, so that timing does not reveal which user names exist.
 */
export class VaspDirectory {
  private readonly byId = new Map<string, VaspConfig>();
  private readonly allowed = new Map<string, CidrList>();
  private readonly proxies: CidrList;
  /** What an unknown user name's password is checked against: a stored password of the same kind as the others. */
  private readonly decoy: string;
  /** Every account's API keys by their stored hash (src/ops/api-key.ts). */
  private readonly keys = new Map<string, { vasp: VaspConfig; key: ApiKeyConfig }>();

  constructor(
    private readonly vasps: readonly VaspConfig[],
    trustedProxies: readonly string[] = [],
  ) {
    for (const v of vasps) {
      if (this.byId.has(v.id)) throw new RangeError(`mm7.vasps: VASP id ${v.id} appears twice`);
      this.byId.set(v.id, v);
      if (v.allowIps) this.allowed.set(v.id, new CidrList(v.allowIps));
      for (const key of v.apiKeys ?? []) {
        const other = this.keys.get(key.hash);
        if (other)
          throw new RangeError(
            `mm7.vasps: API key ${key.name} of VASP ${v.id} is key ${other.key.name} of VASP ${other.vasp.id} (the same hash)`,
          );
        this.keys.set(key.hash, { vasp: v, key });
      }
    }
    this.proxies = new CidrList(trustedProxies);
    this.decoy = vasps.find((v) => v.password !== undefined)?.password ?? NO_PASSWORD;
  }

  get(id: string): VaspConfig | undefined {
    return this.byId.get(id);
  }

  /**
   * `surface`: an API key (Bearer) authenticates a REST request (/v1/) only. A Bearer header is the credential
   * when sent (a client certificate of the connection is then not looked at: the key's scope applies).
   */
  async authenticate(req: IncomingMessage, surface: AuthSurface = 'mm7'): Promise<Authentication> {
    const client = clientAddress(req, this.proxies);
    const bearer = /^Bearer(\s|$)/i.test(req.headers.authorization ?? '');
    if (bearer && surface !== 'rest')
      return {
        ok: false,
        status: HTTP_STATUS.UNAUTHORIZED,
        // TS 23.140 §8.7 leaves MM7 security to HTTP: VASP clients send Basic (or connect with a certificate);
        // a key is the REST API's credential, and its scope has no meaning for a SOAP operation.
        reason: 'API keys authenticate the REST API (/v1/) only: MM7 requests authenticate by HTTP Basic or a client certificate',
        client,
        challenge: BASIC_CHALLENGE,
      };
    let who: { ok: true; vasp: VaspConfig; by: 'certificate' | 'basic' | 'apikey'; scope: ApiScope; key?: string } | Refused;
    if (bearer) who = this.byKey(req.headers.authorization ?? '');
    else {
      const byCert = this.byCertificate(req);
      who = byCert ? { ok: true, vasp: byCert, by: 'certificate', scope: 'full' } : await this.byBasic(req);
    }
    if (!who.ok) return { ...who, client };
    const allowed = this.allowed.get(who.vasp.id);
    if (allowed && !allowed.has(client))
      return { ok: false, status: HTTP_STATUS.FORBIDDEN, reason: `source address ${client} not allowed for VASP ${who.vasp.id}`, client };
    return { ...who, client };
  }

  /**
   * The account whose API key the Bearer token is. The token's SHA-256 is looked up in a map: the digest of a
   * 256-bit random key tells nothing about the key, and the attacker cannot choose digests, so where a lookup
   * stops says nothing usable; the found entry is still compared in constant time, and a miss compares against
   * a digest of its own so that both paths do the same work.
   */
  private byKey(header: string): { ok: true; vasp: VaspConfig; by: 'apikey'; scope: ApiScope; key: string } | Refused {
    const m = BEARER.exec(header);
    const refused: Refused = {
      ok: false,
      status: HTTP_STATUS.UNAUTHORIZED,
      reason: 'unknown or malformed API key',
      challenge: BEARER_CHALLENGE,
    };
    if (!m) return refused;
    const digest = apiKeyHash(m[1]!);
    const found = this.keys.get(digest);
    if (!sameSecret(found?.key.hash ?? NO_KEY, digest) || !found) return refused;
    return { ok: true, vasp: found.vasp, by: 'apikey', scope: found.key.scope, key: found.key.name };
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

  private async byBasic(req: IncomingMessage): Promise<{ ok: true; vasp: VaspConfig; by: 'basic'; scope: 'full' } | Refused> {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m)
      return {
        ok: false,
        status: HTTP_STATUS.UNAUTHORIZED,
        reason: 'HTTP Basic credentials (or a client certificate) required',
        challenge: BASIC_CHALLENGE,
      };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'malformed Basic credentials', challenge: BASIC_CHALLENGE };
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
      return { ok: false, status: HTTP_STATUS.UNAUTHORIZED, reason: 'unknown user name or wrong password', challenge: BASIC_CHALLENGE };
    return { ok: true, vasp: found, by: 'basic', scope: 'full' };
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
