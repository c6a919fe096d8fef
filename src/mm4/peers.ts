import { matchSecret } from '../ops/secret.js';
import type { Mm4PeerConfig } from '../ops/config.js';
import { CidrList } from '../transport/ip-ranges.js';

interface Peer {
  config: Mm4PeerConfig;
  /** Undefined: any source address (the peer is known by its AUTH identity alone). */
  ranges: CidrList | undefined;
}

/** Who a new SMTP session may be: the peer its address names, or peers that must still log in. */
export type Arrival =
  /** No peer may connect from this address: refused at once (default deny). */
  | { kind: 'unknown' }
  /** The address names a peer that does not use AUTH: the session is that peer's from the start. */
  | { kind: 'peer'; peer: Mm4PeerConfig }
  /** Only peers that log in may use this address: the session is nobody's until AUTH succeeds. */
  | { kind: 'auth' };

/**
 * The MM4 peers of the configuration (mm4.peers), by what identifies them: the source address (CIDR ranges)
 * and/or the SMTP AUTH identity (RFC 4954). With both, both must match. Also counts the sessions each
 * peer holds on this instance, against its maxConnections.
 */
export class PeerDirectory {
  private readonly peers: Peer[];
  private readonly sessions = new Map<string, number>();
  /** What an unknown user's password is checked against, so that the check costs the same. */
  private readonly decoy: string;

  constructor(peers: readonly Mm4PeerConfig[]) {
    // A peer we only send to (no allow ranges, no AUTH identity) can never be the one a session is from.
    this.peers = peers
      .filter((config) => config.allow.length > 0 || config.authUser !== undefined)
      .map((config) => ({ config, ranges: config.allow.length > 0 ? new CidrList(config.allow) : undefined }));
    this.decoy = peers.find((p) => p.authPassword !== undefined)?.authPassword ?? 'no such peer';
  }

  /** Whether any peer uses AUTH (the listener offers it only then). */
  get anyAuth(): boolean {
    return this.peers.some((p) => p.config.authUser !== undefined);
  }

  /** What a connection from `address` can be. An address-only peer is preferred to a log-in. */
  arrival(address: string | undefined): Arrival {
    const reachable = this.peers.filter((p) => p.ranges === undefined || p.ranges.has(address));
    const byAddress = reachable.find((p) => p.ranges !== undefined && p.config.authUser === undefined);
    if (byAddress) return { kind: 'peer', peer: byAddress.config };
    return reachable.some((p) => p.config.authUser !== undefined) ? { kind: 'auth' } : { kind: 'unknown' };
  }

  /**
   * The peer these AUTH credentials name, if they may be used from `address`. The password may be stored as
   * an scrypt hash (mm4.peers[].authPassword: matchSecret); one check is made whether the user exists or not.
   */
  async login(address: string | undefined, user: string, password: string): Promise<Mm4PeerConfig | undefined> {
    const p = this.peers.find((x) => x.config.authUser === user && (x.ranges === undefined || x.ranges.has(address)));
    const right = await matchSecret(p?.config.authPassword ?? this.decoy, password);
    return p && p.config.authPassword !== undefined && right ? p.config : undefined;
  }

  /** Takes one of the peer's connection slots; false when it holds maxConnections already. */
  open(peer: Mm4PeerConfig): boolean {
    const n = this.sessions.get(peer.id) ?? 0;
    if (n >= peer.maxConnections) return false;
    this.sessions.set(peer.id, n + 1);
    return true;
  }

  close(peer: Mm4PeerConfig): void {
    const n = (this.sessions.get(peer.id) ?? 1) - 1;
    if (n <= 0) this.sessions.delete(peer.id);
    else this.sessions.set(peer.id, n);
  }
}
