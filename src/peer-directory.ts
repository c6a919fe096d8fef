import { MM1_REPORT_PEER } from './mm1/report-route.js';
import { NOTIFY_PEER } from './mm1/notify-route.js';
import { mm4Peer } from './mm4/peer-options.js';
import { callbackPeer } from './mm7/callback-route.js';
import { vaspPeer } from './mm7/vasp-route.js';
import { smscPeer } from './smpp/text-route.js';
import type { PeerEntry } from './ops/admin/peers.js';
import type { Config } from './ops/config.js';

/**
 * The peers the configuration names, in the order of its sections: VASPs (MM7 deliveries, then REST
 * callbacks), SMSCs, MM4 peers we send to, and the local MM1 side (notifications, reports to handsets).
 * Derived from the config alone, so a reload's changes show at once.
 */
export function configuredPeers(config: Pick<Config, 'mm1' | 'mm7' | 'smpp' | 'mm4'>): PeerEntry[] {
  const out: PeerEntry[] = [];
  if (config.mm7.enabled) {
    for (const v of config.mm7.vasps) {
      const limits = { rate: v.deliveryRate, burst: v.deliveryBurst, maxInFlight: v.deliveryMaxInFlight };
      out.push({ id: vaspPeer(v.id), kind: 'vasp', name: v.id, limits });
      out.push({ id: callbackPeer(v.id), kind: 'vasp-callbacks', name: v.id, limits });
    }
  }
  for (const s of config.smpp.smscs) {
    out.push({ id: smscPeer(s.id), kind: 'smsc', name: s.id, limits: { rate: s.rate, burst: s.burst, maxInFlight: s.maxInFlight } });
  }
  for (const p of config.mm4.peers) {
    if (p.out === undefined) continue; // nothing is ever queued to a peer we do not send to
    out.push({
      id: mm4Peer(p.id),
      kind: 'mm4',
      name: p.id,
      limits: { rate: p.out.rate, burst: p.out.burst, maxInFlight: p.out.maxConnections },
    });
  }
  if (config.mm1.enabled) {
    const limits = {
      rate: config.mm1.pushRate,
      burst: Math.max(1, Math.ceil(config.mm1.pushRate)),
      maxInFlight: config.mm1.pushMaxInFlight,
    };
    out.push({ id: NOTIFY_PEER, kind: 'mm1', name: 'notifications', limits });
    out.push({ id: MM1_REPORT_PEER, kind: 'mm1', name: 'reports' });
  }
  return out;
}
