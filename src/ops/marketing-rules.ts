import type { MarketingRules } from '../core/marketing-policy.js';
import type { SenderPolicyConfig } from './config-consent.js';

/**
 * The marketing rules of each sender from the config's consent.senders (frequency caps, quiet hours): a
 * sender's own entry, else the `*` entry, else none. Built once per config (load and reload).
 */
export function marketingRulesOf(senders: readonly SenderPolicyConfig[]): (sender: string) => MarketingRules | undefined {
  const bySender = new Map<string, MarketingRules>();
  for (const p of senders) {
    const rules: MarketingRules = { overCap: p.overCap, fallbackTimeZone: p.fallbackTimeZone };
    if (p.maxPerDay !== undefined) rules.maxPerDay = p.maxPerDay;
    if (p.maxPerWeek !== undefined) rules.maxPerWeek = p.maxPerWeek;
    if (p.quietHours) rules.quietHours = { start: p.quietHours.start, end: p.quietHours.end };
    if (!bySender.has(p.sender)) bySender.set(p.sender, rules);
  }
  const any = bySender.get('*');
  return (sender) => bySender.get(sender) ?? any;
}
