import type { IncomingHttpHeaders } from 'node:http';
import type { HandsetHint, HandsetMemory, ProfileSource } from '../adapt/capabilities.js';
import type { SubscriberStore } from '../core/ports.js';
import type { Logger } from '../ops/logger.js';
import { handsetHintOf } from './profile-header.js';

export interface HandsetHintsOptions {
  memory: HandsetMemory;
  /** UAProf documents: a profile without MMS characteristics marks the subscriber text-only. Unset: not looked at. */
  profiles?: ProfileSource | undefined;
  /** Where text-only is set (the SMS fallback of src/core/subscriber-policy.ts then applies). */
  subscribers?: SubscriberStore | undefined;
  log: Logger;
  now?: () => number;
}

/** Notes in progress at once; more are dropped. */
const MAX_PENDING = 1_000;
/** Subscribers whose (profile URL -> checked) this process remembers, the oldest forgotten beyond. */
const CHECKED_MAX = 10_000;

/**
 * What an identified subscriber's handset says of itself on every MM1 request (x-wap-profile / Profile and
 * User-Agent, src/mm1/profile-header.ts): remembered per subscriber (HandsetMemory, which writes only what
 * changed), for the capability resolver of later deliveries. Its UAProf is looked up once per (subscriber,
 * profile URL) in this process: one without MMS characteristics marks the subscriber text-only
 * (SubscriberStore.setTextOnly), so that messages to it go as the SMS fallback; one with MMS clears that mark
 * (the subscriber changed handsets).
 *
 * Off the request's path: `note` returns at once, the work goes on, a failure is logged and forgotten
 * (the next request says it again).
 */
export class HandsetHints {
  private readonly now: () => number;
  /** Subscriber -> the profile URL whose MMS support was checked (a bounded map in insertion order). */
  private readonly checked = new Map<string, string>();
  /** Notes in progress: at most MAX_PENDING (a store that hangs must not pile up one promise per request). */
  private pending = 0;

  constructor(private readonly o: HandsetHintsOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Remember what this request's headers say of the subscriber's handset (nothing when they say nothing). */
  note(subscriber: string, headers: IncomingHttpHeaders): void {
    const hint = handsetHintOf(headers, this.now());
    if (hint) this.noteHint(subscriber, hint);
  }

  /** `note` of a hint already read from the request (handsetHintOf). */
  noteHint(subscriber: string, hint: HandsetHint): void {
    // The same handset as before, known here (the common case: every request says it again): nothing to do,
    // as `remember` would find.
    if (this.o.memory.knows?.(subscriber, hint) && !this.toCheck(subscriber, hint.profileUrl)) return;
    // Over the bound the hint is dropped: the handset says it again on its next request.
    if (this.pending >= MAX_PENDING) return;
    this.pending++;
    void this.remember(subscriber, hint.profileUrl, () => this.o.memory.remember(subscriber, hint))
      .catch((err: unknown) => this.o.log.warn({ err, subscriber }, 'handset hint not remembered'))
      .finally(() => this.pending--);
  }

  /** Whether this profile URL's MMS support is still to be looked at for the subscriber (as `remember` decides). */
  private toCheck(subscriber: string, profileUrl: string | undefined): boolean {
    if (profileUrl === undefined || !this.o.profiles || !this.o.subscribers) return false;
    return this.checked.get(subscriber) !== profileUrl;
  }

  private async remember(subscriber: string, profileUrl: string | undefined, write: () => Promise<void>): Promise<void> {
    await write();
    const { profiles, subscribers } = this.o;
    if (profileUrl === undefined || !profiles || !subscribers || this.checked.get(subscriber) === profileUrl) return;
    // Undefined: not known yet (fetching, or a failure remembered): checked again on the next request.
    const profile = await profiles.lookup(profileUrl);
    if (!profile) return;
    if (!profile.hasMms) {
      await subscribers.setTextOnly(subscriber, true);
      this.o.log.info({ subscriber, profileUrl }, 'UAProf without MMS characteristics: subscriber marked text-only');
    } else if ((await subscribers.get(subscriber)).textOnly) {
      // A new handset (or its MMS profile) after one without MMS: MMS again, not the SMS fallback for ever.
      await subscribers.setTextOnly(subscriber, false);
      this.o.log.info({ subscriber, profileUrl }, 'UAProf with MMS characteristics: subscriber no longer text-only');
    }
    this.checked.delete(subscriber);
    this.checked.set(subscriber, profileUrl);
    if (this.checked.size > CHECKED_MAX) this.checked.delete(this.checked.keys().next().value!);
  }
}
