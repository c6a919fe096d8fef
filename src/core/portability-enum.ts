import type { Logger } from 'pino';
import { EnumError, enumDomain, mmsDomain, type NaptrRecord } from '../../protocols/enum/index.js';
import { HOME_NETWORK, type NumberPortability, type PortingAnswer } from './portability.js';

export interface EnumPortabilityOptions {
  /** The ENUM tree (RFC 6116 §2.4): `e164.arpa`, or the carriers' private one (GSMA IR.67 Carrier ENUM). */
  apex: string;
  /**
   * The NAPTR records of a domain ([] when the name or its NAPTR records do not exist); throws when the
   * DNS cannot say (timeout, SERVFAIL, refused). A DNS client (src/transport/naptr.ts) in the gateway.
   */
  resolve(domain: string): Promise<NaptrRecord[]>;
  /** The network whose MMS domain this is (our domains: HOME_NETWORK); undefined for a domain of nobody we know. */
  networkOf(domain: string): string | undefined;
  log: Logger;
}

/**
 * Number portability by ENUM (RFC 6116) with the `mms` enumservice (RFC 4355): the number's NAPTR records
 * under the apex, the best "E2U+mms:mailto" record's regexp applied to the number (RFC 3402 §3.2), and the
 * domain of the resulting `mailto:+N@mms.mncXXX.mccYYY.gprs` mapped to the network with that MMS domain.
 * No usable record, or a domain of no network we know: no answer (the prefixes route).
 */
export class EnumPortability implements NumberPortability {
  constructor(private readonly o: EnumPortabilityOptions) {}

  async lookup(e164: string): Promise<PortingAnswer | undefined> {
    let domain: string;
    try {
      domain = enumDomain(e164, this.o.apex);
    } catch (err) {
      if (err instanceof EnumError) return undefined;
      throw err;
    }
    const records = await this.o.resolve(domain);
    if (records.length === 0) return undefined;
    const found = mmsDomain(records, e164);
    if (found.skipped.length > 0) this.o.log.info({ domain, skipped: found.skipped }, 'ENUM: NAPTR records not used');
    if (found.domain === undefined) return undefined;
    const network = this.o.networkOf(found.domain);
    if (network === undefined) {
      this.o.log.info({ domain, mmsDomain: found.domain }, 'ENUM: the number is served by an MMS domain of no known network');
      return undefined;
    }
    return { network, source: 'enum' };
  }
}

/** MMS domain -> network: our own domains are HOME_NETWORK, each peer's its id (lowercase, exact match). */
export function networksByDomain(
  home: readonly string[],
  peers: ReadonlyArray<{ id: string; domain?: string | undefined }>,
): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of peers) if (p.domain) map.set(p.domain.toLowerCase(), p.id);
  // Ours last: a domain listed both as ours and as a peer's is ours.
  for (const d of home) map.set(d.toLowerCase(), HOME_NETWORK);
  return map;
}
