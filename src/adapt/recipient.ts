import type { CoreMessage } from '../core/message.js';
import type { Capabilities, CapabilityResolver, HandsetHint } from './capabilities.js';
import type { ContentAdaptation, ContentLoader } from './service.js';
import type { AdaptationResult } from './types.js';

/**
 * What a delivery edge (MM1 notification and retrieval, an MM4 forward) asks of adaptation, in two steps so
 * that an edge can act on the capabilities alone (a text-only handset gets the SMS fallback; nothing to adapt):
 * the recipient's capabilities (src/adapt/resolve.ts), then the content for them (src/adapt/service.ts: once
 * per message and capability class).
 */
export interface RecipientAdapter {
  capabilities(message: CoreMessage, recipientIndex: number, peer: string, hint?: HandsetHint): Promise<Capabilities>;
  content(message: CoreMessage, recipientIndex: number, caps: Capabilities, load: ContentLoader): Promise<AdaptationResult>;
}

/** The resolver and the service together: what the gateway gives the edges. */
export class ResolvedAdaptation implements RecipientAdapter {
  constructor(
    private readonly resolver: CapabilityResolver,
    private readonly service: ContentAdaptation,
  ) {}

  capabilities(message: CoreMessage, recipientIndex: number, peer: string, hint?: HandsetHint): Promise<Capabilities> {
    const to = message.recipients[recipientIndex];
    if (!to) throw new RangeError(`message ${message.id} has no recipient ${recipientIndex}`);
    return this.resolver.resolve({ address: to.address }, peer, hint);
  }

  content(message: CoreMessage, recipientIndex: number, caps: Capabilities, load: ContentLoader): Promise<AdaptationResult> {
    return this.service.forRecipient(message, recipientIndex, caps, load);
  }
}

/** The size a recipient is told (MM1 X-Mms-Message-Size): the adapted parts' bytes. */
export function adaptedSize(result: Extract<AdaptationResult, { ok: true }>): number {
  return result.outcome.parts.reduce((n, p) => n + p.size, 0);
}

/** The detail of a delivery refused by adaptation: `<code>: …`, so that the sender's event carries the code. */
export function refusedDetail(result: Extract<AdaptationResult, { ok: false }>): string {
  return `${result.code}: ${result.detail}`;
}

/** One line for a job's history (and the MM7 delivery report's StatusText): what adaptation changed. */
export function adaptedNote(result: AdaptationResult): string | undefined {
  if (!result.ok || !result.outcome.changed) return undefined;
  const o = result.outcome;
  return `adapted (${o.bytesBefore} -> ${o.bytesAfter} bytes): ${o.changes.join('; ')}`;
}
