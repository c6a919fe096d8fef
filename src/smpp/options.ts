import type { Logger } from 'pino';
import type { DeliverSm } from '../../protocols/smpp/index.js';
import type { Metrics } from '../ops/metrics.js';

/** An SmppClient's connection to one SMSC. */
export interface SmppClientOptions {
  /** SMSC connection name (metrics label `smsc`, log field `peer`). */
  id: string;
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  /** One bind_transceiver session (default), or a bind_transmitter and a bind_receiver session. */
  bindMode?: 'transceiver' | 'transmitter+receiver';
  /** submit_sm sent and not yet answered, at most (default 10). */
  window?: number;
  /** enquire_link interval while bound (default 30000); no answer within responseTimeoutMs drops the link. */
  enquireLinkMs?: number;
  /** A request without response by then: a submit_sm is rejected TIMEOUT, a bind or enquire_link drops the link (default 10000). */
  responseTimeoutMs?: number;
  /** Reconnect backoff: the n-th attempt in a row waits a random time in [d/2, d], d = min(max, min * 2^n) (defaults 500 / 30000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Submits waiting for a window slot, at most; beyond, submit rejects THROTTLED at once (default 1000). */
  queueLimit?: number;
  /**
   * Takes an MO deliver_sm before it is answered: the deliver_sm_resp waits for the promise, ESME_ROK once it
   * resolves; when it rejects, the rejection's status if it is a Refusal with one (src/core/refusals.ts: the
   * store's refusal is ESME_RX_T_APPN), else ESME_RX_T_APPN, so that the SMSC delivers the MO again later
   * (SMPP 3.4 §5.1.3: a temporary application error) instead of it being lost when the gateway cannot store
   * it. 'mo' listeners are told as well.
   */
  onMo?: (d: DeliverSm) => Promise<void>;
  log: Logger;
  metrics?: Metrics;
  /** Clock for the elapsed times in logs, in ms (default performance.now). */
  now?: () => number;
}

/** The options with their defaults applied. */
export type Resolved = Required<
  Pick<SmppClientOptions, 'window' | 'enquireLinkMs' | 'responseTimeoutMs' | 'reconnectMinMs' | 'reconnectMaxMs' | 'queueLimit' | 'now'>
>;

export const DEFAULTS: Omit<Resolved, 'now'> = {
  window: 10,
  enquireLinkMs: 30_000,
  responseTimeoutMs: 10_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  queueLimit: 1000,
};
