import type { ConsentStore } from '../core/ports.js';
import type { SenderPolicyConfig } from '../ops/config-consent.js';
import { isKeyword } from './keywords.js';

/** MO texts that ask for the sender's help text (CTIA: HELP must always be answered). */
export const HELP_KEYWORDS: readonly string[] = ['HELP', 'INFO'];

/** What the consent keywords did with an MO (a bounded label of mmsc_smpp_mo_total besides stop and start). */
export type ConsentOutcome = 'help' | 'confirm';

/** The replies of the global keywords (smpp.stopReply, smpp.startReply), used where a sender's policy has none. */
export interface KeywordReplies {
  startReply: string;
}

/**
 * Keywords per sender (issue 24, docs/consent.md) over SMPP MO, the sender being the short code the MO was
 * sent to. STOP and START (the global keywords, src/smpp/keywords.ts) also write the consent registry for
 * that sender, with the MO as proof; a sender's joinKeywords count as START for it. With the sender's
 * doubleOptIn, START leaves the subscriber `pending` and is answered confirmText; YES (confirmKeywords) from
 * a pending subscriber opts in. HELP is answered the sender's helpText. Texts that are none of these (or
 * YES from a subscriber who is not pending, HELP to a sender without helpText) go on as ordinary MO texts.
 */
export class ConsentKeywords {
  constructor(
    private readonly o: {
      consent: ConsentStore;
      /** The sender's policy (consent.senders: its own entry, else `*`), read each time (reloads show). */
      policy: (sender: string) => SenderPolicyConfig | undefined;
      replies: () => KeywordReplies;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The sender's join keywords (besides the global START words). */
  joinKeywords(sender: string): readonly string[] {
    return this.o.policy(sender)?.joinKeywords ?? [];
  }

  /** STOP to `sender`: opted out of it. */
  async stop(sender: string, subscriber: string, proof: string): Promise<void> {
    await this.o.consent.set(sender, subscriber, { state: 'opted-out', source: 'keyword', at: this.now(), proof });
  }

  /** START (or a join keyword) to `sender`: opted in, or pending with double opt-in. Returns the reply ('' = none). */
  async start(sender: string, subscriber: string, proof: string): Promise<string> {
    const policy = this.o.policy(sender);
    const pending = policy?.doubleOptIn === true;
    await this.o.consent.set(sender, subscriber, { state: pending ? 'pending' : 'opted-in', source: 'keyword', at: this.now(), proof });
    if (pending) return policy.confirmText;
    return policy?.optInReply || this.o.replies().startReply;
  }

  /** HELP, or YES to a pending opt-in: the outcome and the reply; undefined: an ordinary MO text. */
  async other(
    sender: string,
    subscriber: string,
    text: string,
    proof: string,
  ): Promise<{ outcome: ConsentOutcome; reply: string } | undefined> {
    const policy = this.o.policy(sender);
    if (!policy) return undefined;
    if (policy.helpText !== '' && isKeyword(text, HELP_KEYWORDS)) return { outcome: 'help', reply: policy.helpText };
    if (!policy.doubleOptIn || !isKeyword(text, policy.confirmKeywords)) return undefined;
    const now = await this.o.consent.get(sender, subscriber);
    if (now?.state !== 'pending') return undefined;
    await this.o.consent.set(sender, subscriber, { state: 'opted-in', source: 'keyword', at: this.now(), proof });
    return { outcome: 'confirm', reply: policy.optInReply || this.o.replies().startReply };
  }
}

/** The policy of a sender: its own entry, else the `*` entry, else none. */
export function senderPolicy(senders: readonly SenderPolicyConfig[], sender: string): SenderPolicyConfig | undefined {
  return senders.find((s) => s.sender === sender) ?? senders.find((s) => s.sender === '*');
}

/** The MO as proof of a keyword: what was sent, from whom, to which sender, through which SMSC. */
export function moProof(text: string, subscriber: string, sender: string, smscId: string): string {
  const t = text.length > 160 ? `${text.slice(0, 160)}…` : text;
  return `SMPP MO ${JSON.stringify(t)} from ${subscriber} to ${sender} via SMSC ${smscId}`;
}
