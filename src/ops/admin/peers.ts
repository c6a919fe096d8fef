import type { Logger } from 'pino';
import type { PeerHold, PeerLimits, PeerQueueStats, Queue } from '../../core/ports.js';
import type { AdminReply, AdminRequest, AdminRoute } from './types.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { errorBody } from './errors.js';

/**
 * The admin API's peers (docs/operations-peers.md): every peer with its live state, and pause, resume and
 * drain, held across instances by the store (Queue.holdPeer).
 *   paused    no new delivery to the peer from any instance; its jobs stay queued, no attempt used
 *   draining  paused, asked to see the deliveries in flight finish: `inFlight` counts them down
 *   drained   draining and none in flight any more (still held: resume to deliver again)
 *   active    not held
 */
export type PeerState = 'active' | 'paused' | 'draining' | 'drained';

/** What kind of peer it is (the composition root names them: src/peer-directory.ts). */
export type PeerKind = 'vasp' | 'vasp-callbacks' | 'smsc' | 'mm4' | 'mm1' | 'other';

/**
 * A peer as the admin API lists it: its queue/throttle peer id (what a job is routed to, and what a hold
 * names: `mm7:<vasp>`, `smpp:<smsc>`, ...), the configuration entry it comes from (name), and the limits
 * its deliveries are throttled with.
 */
export interface PeerEntry {
  id: string;
  kind: PeerKind;
  /** The configuration entry's id (mm7.vasps[].id, smpp.smscs[].id, mm4.peers[].id); the side for mm1. */
  name: string;
  limits?: PeerLimits;
}

/** A link's live state, where the peer has one (an SMSC's SMPP session). */
export interface PeerLink {
  bound: boolean;
}

export interface PeerRoutesDeps {
  queue: Pick<Queue, 'peerStats' | 'holdPeer' | 'releasePeer' | 'peerHolds'>;
  /** The configured peers now (configuredPeers(config) of the config in force: reloads show). */
  peers: () => readonly PeerEntry[];
  /** The live link of a peer (SMSC binds of this instance), if it has one. */
  link?: (peerId: string) => PeerLink | undefined;
  log: Logger;
  now?: () => number;
}

export interface PeerView {
  id: string;
  kind: PeerKind;
  name: string;
  state: PeerState;
  /** Who held it and when (paused, draining, drained). */
  hold?: PeerHold;
  link?: PeerLink;
  limits?: PeerEntry['limits'];
  queue: { waiting: number; inFlight: number; oldestDueMs: number };
}

function stateOf(hold: PeerHold | undefined, inFlight: number): PeerState {
  if (!hold) return 'active';
  if (hold.mode === 'paused') return 'paused';
  return inFlight > 0 ? 'draining' : 'drained';
}

const notFound = (id: string): AdminReply => ({
  status: HTTP_STATUS.NOT_FOUND,
  body: errorBody('PEER_UNKNOWN', `no peer ${id} in the configuration or the queue`),
});

export function peerRoutes(deps: PeerRoutesDeps): AdminRoute[] {
  const now = deps.now ?? Date.now;

  /** Every peer: the configured ones, then any other the queue holds jobs for (removed by a reload, unrouted). */
  async function views(): Promise<PeerView[]> {
    const [stats, holds] = await Promise.all([deps.queue.peerStats(), deps.queue.peerHolds()]);
    const byId = new Map<string, PeerQueueStats>(stats.map((s) => [s.peer, s]));
    const entries: PeerEntry[] = [...deps.peers()];
    const known = new Set(entries.map((e) => e.id));
    for (const id of [...byId.keys(), ...holds.keys()]) {
      if (known.has(id)) continue;
      known.add(id);
      entries.push({ id, kind: 'other', name: id });
    }
    return entries.map((e) => {
      const s = byId.get(e.id);
      const hold = holds.get(e.id);
      const inFlight = s?.leased ?? 0;
      const view: PeerView = {
        id: e.id,
        kind: e.kind,
        name: e.name,
        state: stateOf(hold, inFlight),
        queue: { waiting: s?.waiting ?? 0, inFlight, oldestDueMs: s?.oldestDueMs ?? 0 },
      };
      if (hold) view.hold = hold;
      const link = deps.link?.(e.id);
      if (link) view.link = link;
      if (e.limits) view.limits = e.limits;
      return view;
    });
  }

  async function one(id: string): Promise<PeerView | undefined> {
    return (await views()).find((v) => v.id === id);
  }

  /** pause / drain: hold the peer (known peers only: a typo must not hold nothing silently). */
  function holdRoute(mode: PeerHold['mode'], action: string): AdminRoute {
    return {
      method: 'POST',
      pattern: `/admin/peers/:id/${mode === 'paused' ? 'pause' : 'drain'}`,
      role: 'operate',
      action,
      async handle(req: AdminRequest): Promise<AdminReply> {
        const id = req.params.id ?? '';
        if (!(await one(id))) return notFound(id);
        await deps.queue.holdPeer(id, { mode, by: req.caller.name, at: now() });
        const view = (await one(id))!;
        deps.log.info({ peer: id, by: req.caller.name, state: view.state, inFlight: view.queue.inFlight }, `peer ${mode}`);
        return { status: HTTP_STATUS.OK, body: view };
      },
    };
  }

  return [
    {
      method: 'GET',
      pattern: '/admin/peers',
      role: 'read',
      action: 'list peers',
      async handle() {
        return { status: HTTP_STATUS.OK, body: { peers: await views() } };
      },
    },
    {
      method: 'GET',
      pattern: '/admin/peers/:id',
      role: 'read',
      action: 'show a peer',
      async handle(req) {
        const id = req.params.id ?? '';
        const view = await one(id);
        return view ? { status: HTTP_STATUS.OK, body: view } : notFound(id);
      },
    },
    holdRoute('paused', 'pause a peer'),
    holdRoute('draining', 'drain a peer'),
    {
      method: 'POST',
      pattern: '/admin/peers/:id/resume',
      role: 'operate',
      action: 'resume a peer',
      async handle(req) {
        const id = req.params.id ?? '';
        if (!(await one(id))) return notFound(id);
        const wasHeld = await deps.queue.releasePeer(id);
        const view = (await one(id))!;
        deps.log.info({ peer: id, by: req.caller.name, wasHeld }, 'peer resumed');
        return { status: HTTP_STATUS.OK, body: { ...view, wasHeld } };
      },
    },
  ];
}
