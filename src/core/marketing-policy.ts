import type { Logger } from 'pino';
import { jobId, trafficClassOf } from './message.js';
import type { FrequencyStore, LeasedJob } from './ports.js';
import { localTime, nextAllowed, type QuietWindow } from './quiet-hours.js';
import type { Route } from './router.js';
import type { ResolveDecision } from './worker-pool.js';

/** One sender's marketing rules (the config's consent.senders[] entry, frequency and quiet-hours fields). */
export interface MarketingRules {
  /** Most marketing sends to one subscriber in any rolling 24 h / 7 days; unset: no cap. */
  maxPerDay?: number;
  maxPerWeek?: number;
  /** Over a cap: hold the message until the window frees up (defer), or end it rejected (refuse). */
  overCap: 'defer' | 'refuse';
  /** No marketing in this daily window of the recipient's local time; unset: none. */
  quietHours?: QuietWindow;
  /** The recipient's zone when the number does not tell (not a phone number, a range without zone data). */
  fallbackTimeZone: string;
}

export type MarketingReason = 'quiet-hours' | 'frequency-cap';

export interface MarketingPolicyOptions {
  /** The rules of a sender (the originator address): its own, else the `*` policy's; undefined: none. */
  rulesFor: (sender: string) => MarketingRules | undefined;
  frequency: FrequencyStore;
  /** A phone number's time zones (PhoneTimeZones); empty: unknown. */
  zones: { of(address: string): Promise<string[]> };
  now?: () => number;
  log?: Logger;
  /** Told of every deferral and refusal, for the metrics. */
  observe?: (action: 'deferred' | 'refused', reason: MarketingReason) => void;
}

/** The refusal code (src/core/refusals.ts) a capped message's detail starts with. */
export const FREQUENCY_CAPPED = 'frequency-capped';

/**
 * Frequency caps and quiet hours for marketing traffic (issue 24), decided on each delivery attempt in the
 * worker pool's resolve step, after the subscriber policy (an opt-out wins). Transactional traffic, reports
 * and acknowledgements pass untouched, and cost nothing: no store call, no time zone look-up.
 *
 * - Quiet hours first: in the recipient's local time (PhoneTimeZones; a number in several zones is quiet
 *   while it is quiet in any of them, the conservative reading; none known: the sender's fallback zone), the
 *   job is deferred to the next allowed instant, never dropped (past its expiry, the queue expires it).
 * - Then the caps: one atomic check-and-count in the store (FrequencyStore.take), so a message held by quiet
 *   hours is not counted. Over a cap: deferred until the window frees up (and out of quiet hours), or
 *   refused `frequency-capped` (overCap refuse). The count is taken when the policy lets the message
 *   through, before it is sent: a delivery that then fails still counts (never more than the cap is sent;
 *   at worst fewer). Its retries are not counted again (the job id is the count's token).
 *
 * A store that cannot be reached throws: a retry in the worker pool, so a cap holds while it cannot be read.
 */
export function marketingPolicy(o: MarketingPolicyOptions): (job: LeasedJob, route: Route | undefined) => Promise<ResolveDecision> {
  const now = o.now ?? Date.now;
  return async (job, route) => {
    const m = job.message;
    const r = m.recipients[job.recipientIndex];
    if (!route || !r || m.report || m.ack || trafficClassOf(m) !== 'marketing') return route;
    const rules = o.rulesFor(m.originator.address);
    if (!rules) return route;
    const capped = rules.maxPerDay !== undefined || rules.maxPerWeek !== undefined;
    if (!rules.quietHours && !capped) return route;
    const at = now();
    let zones: string[] = [];
    if (rules.quietHours) {
      zones = r.type === 'plmn' ? await o.zones.of(r.address) : [];
      if (zones.length === 0) zones = [rules.fallbackTimeZone];
      const until = nextAllowed(at, zones, rules.quietHours);
      if (until > at) {
        o.observe?.('deferred', 'quiet-hours');
        return { defer: until, detail: quietDetail(rules.quietHours, zones, until) };
      }
    }
    if (!capped) return route;
    const caps = {
      ...(rules.maxPerDay !== undefined && { maxPerDay: rules.maxPerDay }),
      ...(rules.maxPerWeek !== undefined && { maxPerWeek: rules.maxPerWeek }),
    };
    const answer = await o.frequency.take(m.originator.address, r.address, jobId(m.id, job.recipientIndex), caps);
    if (answer.ok) return route;
    const cap = answer.cap === 'day' ? `${caps.maxPerDay} a day` : `${caps.maxPerWeek} a week`;
    if (rules.overCap === 'refuse') {
      o.observe?.('refused', 'frequency-cap');
      o.log?.info(
        { messageId: m.id, recipientIndex: job.recipientIndex, sender: m.originator.address, cap },
        'marketing refused: frequency cap',
      );
      return { refuse: `${FREQUENCY_CAPPED}: the sender's cap of ${cap} is reached` };
    }
    // Deferred to when the window frees up, and out of quiet hours then (else it would only be deferred again).
    const until = rules.quietHours ? nextAllowed(answer.until, zones, rules.quietHours) : answer.until;
    o.observe?.('deferred', 'frequency-cap');
    return { defer: until, detail: `frequency cap: ${cap}, until ${new Date(until).toISOString()}` };
  };
}

function quietDetail(window: QuietWindow, zones: readonly string[], until: number): string {
  const local = zones.map((z) => `${localTime(until, z)} ${z}`).join(', ');
  return `quiet hours ${window.start}-${window.end}: until ${new Date(until).toISOString()} (${local})`;
}

/**
 * Two resolve steps in turn: the second sees the first's route, and is skipped when the first refused,
 * deferred or found no route (the subscriber policy, then the marketing policy).
 */
export function thenResolve(
  first: (job: LeasedJob, route: Route | undefined) => Promise<ResolveDecision>,
  second: (job: LeasedJob, route: Route | undefined) => Promise<ResolveDecision>,
): (job: LeasedJob, route: Route | undefined) => Promise<ResolveDecision> {
  return async (job, route) => {
    const r = await first(job, route);
    if (r === undefined || 'refuse' in r || 'defer' in r) return r;
    return second(job, r);
  };
}
