// What the MM4 edge needs to know about one peer carrier (or interconnect hub) to forward MMs to it
// (TS 23.140 §8.4: MM4 is SMTP between MMS Relay/Servers). A plain type of its own: the config schema
// (src/ops/config-mm4.ts, `mm4.peers[].out`) maps onto it (peerOutbound), the route code never sees zod.
import type { PeerLimits } from '../core/ports.js';
import type { SmtpTlsMode } from '../transport/smtp-tls.js';
import type { Mm4PeerConfig } from '../ops/config.js';

/** How the SMTP session to the peer is protected (src/transport/smtp-tls.ts). */
export type Mm4TlsMode = SmtpTlsMode;

/**
 * How a number is written in the SMTP envelope and in To/From (§8.4.4): 'plmn' `+N/TYPE=PLMN@domain`
 * (the spec's form), 'plain' `+N@domain` (what some hubs and plain MTAs accept).
 */
export type Mm4EnvelopeForm = 'plmn' | 'plain';

/** Timeouts of the SMTP client, in milliseconds. */
export interface Mm4PeerTimeouts {
  /** TCP (and implicit TLS) connection established. */
  connectMs: number;
  /** The peer's 220 greeting after connecting. */
  greetingMs: number;
  /** Any silence of the socket once connected (a reply to MAIL, RCPT, DATA, the final dot). */
  socketMs: number;
}

export interface Mm4PeerOutbound {
  /** The peer's id: logs, metrics, the queue's partition (`mm4:<id>`). */
  id: string;
  /** The +E.164 number ranges it serves (e.g. '+31612'); the longest prefix matching a recipient wins. */
  prefixes: readonly string[];
  /** Its MMS domain, the part after "@" of its subscribers' addresses, e.g. 'mms.mnc002.mcc001.gprs'. */
  domain: string;
  /** The SMTP server the forwards go to (a smart host or the peer's relay), unless `mx`. */
  host: string;
  /**
   * Look the host up as the MX of `domain` instead (RFC 5321 §5.1); off by default: GRX/IPX domains such as
   * mms.mnc001.mcc310.gprs are in no public DNS, so a peer asks for it.
   */
  mx?: boolean;
  port: number;
  tls: Mm4TlsMode;
  /** PEM CA bundle that signs the peer's certificate, when it is not in Node's default store. */
  ca?: string;
  /** SMTP AUTH (RFC 4954, PLAIN/LOGIN) when the peer asks for it. */
  auth?: { user: string; pass: string };
  envelopeForm: Mm4EnvelopeForm;
  /** X-Mms-Originator-System we send (§8.4.1.1): where the peer sends MM4_forward.RES and reports. */
  originatorSystem: string;
  /** X-Mms-Ack-Request: ask the peer for MM4_forward.RES (§8.4.1.1). */
  ackRequest: boolean;
  /** How long to wait for MM4_forward.RES when ackRequest is on (then `onMissingRes`). */
  resTimeoutMs: number;
  /**
   * When no RES came within resTimeoutMs: 'delivered' (the peer's SMTP server accepted it; the RES is a
   * courtesy many peers never send) or 'resend' (forward it again: same X-Mms-Message-ID, so the peer can
   * drop the copy, new Transaction-ID). Either way a later RES or report still counts. When the originator
   * asked for a delivery report, 'delivered' (or a RES Ok) means: wait for the peer's report (docs/mm4.md).
   */
  onMissingRes: 'delivered' | 'resend';
  /** Largest forward, headers included, the peer takes (1 MB at many carriers, 5 MB at hubs). */
  maxMessageBytes: number;
  /** Forwards per second and burst (the shared throttle). */
  rate: number;
  burst: number;
  /** Concurrent SMTP connections to it (the pool's size, and the throttle's in-flight cap). */
  maxConnections: number;
  timeouts: Mm4PeerTimeouts;
}

/** Defaults for the optional knobs, as the config schema will apply them. */
export const MM4_PEER_DEFAULTS = Object.freeze({
  tls: 'starttls-required' as Mm4TlsMode,
  envelopeForm: 'plmn' as Mm4EnvelopeForm,
  ackRequest: false,
  resTimeoutMs: 10 * 60_000,
  onMissingRes: 'delivered' as const,
  maxMessageBytes: 1024 * 1024,
  rate: 20,
  burst: 40,
  maxConnections: 4,
  timeouts: Object.freeze({ connectMs: 10_000, greetingMs: 10_000, socketMs: 60_000 }),
});

/** The throttle's view of a peer. */
export function peerLimits(p: Mm4PeerOutbound): PeerLimits {
  return { rate: p.rate, burst: p.burst, maxInFlight: p.maxConnections };
}

/** Queue/throttle peer id of forwards to an MM4 peer. */
export function mm4Peer(peerId: string): string {
  return `mm4:${peerId}`;
}

/** The X-Mms-Originator-System we give by default (§8.4.1.1): the system user of our first MMS domain. */
export function defaultOriginatorSystem(ownDomain: string): string {
  return `system-user@${ownDomain}`;
}

/**
 * A configured peer's outbound side (mm4.peers[].out) as the route needs it, or undefined for a peer we do
 * not send to. `ca` is the PEM text of out.caFile (read here, at start: the schema checked it exists).
 */
export function peerOutbound(peer: Mm4PeerConfig, ownDomain: string, readFile: (path: string) => string): Mm4PeerOutbound | undefined {
  const o = peer.out;
  if (o === undefined || peer.domain === undefined) return undefined;
  const out: Mm4PeerOutbound = {
    id: peer.id,
    prefixes: peer.prefixes,
    domain: peer.domain,
    host: o.host ?? peer.domain, // with out.mx the MX of the domain is used instead
    port: o.port,
    tls: o.tls,
    envelopeForm: o.envelopeForm,
    originatorSystem: o.originatorSystem ?? defaultOriginatorSystem(ownDomain),
    ackRequest: o.ackRequest,
    resTimeoutMs: o.resTimeoutMs,
    onMissingRes: o.onMissingRes,
    maxMessageBytes: o.maxMessageBytes,
    rate: o.rate,
    burst: o.burst,
    maxConnections: o.maxConnections,
    timeouts: { connectMs: o.connectTimeoutMs, greetingMs: o.greetingTimeoutMs, socketMs: o.socketTimeoutMs },
  };
  if (o.mx) out.mx = true;
  if (o.caFile !== undefined) out.ca = readFile(o.caFile);
  if (o.authUser !== undefined && o.authPassword !== undefined) out.auth = { user: o.authUser, pass: o.authPassword };
  return out;
}
