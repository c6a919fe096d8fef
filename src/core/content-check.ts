import type { Logger } from 'pino';
import type { CoreMessage } from './message.js';
import { type MediaProbe, probeOf } from './media-probe.js';
import { checkProbe, MediaTypeError, type MediaTypeReason } from './media-type.js';
import type { ContentStage } from './ports.js';
import { Refusal } from './refusals.js';

/**
 * The type check of every part of a submission (issue 25, "Validation on every inbound path"): each part's
 * bytes must be of its declared type (file-type's magic numbers; text as text) and that type one of the
 * allowed ones, else the whole submission is refused `content-type-mismatch` before anything is stored:
 * an executable named .jpg never reaches the store, a handset or a peer.
 */
export interface IntakeContentCheck {
  /** The media types taken (content.allowedTypes), read at each submission: a reload applies at once. */
  allowedTypes: () => readonly string[];
  /** Counts a refusal (metrics.content.refusals{iface, reason}). */
  refused?: (iface: string, reason: MediaTypeReason) => void;
}

/**
 * Checks the parts of a built message against their content (the bytes, or the stage's probes recorded as
 * they streamed in): a Refusal naming the first bad part and both types, or undefined when all are good.
 */
export async function checkParts(
  message: CoreMessage,
  content: readonly Buffer[] | ContentStage,
  check: IntakeContentCheck,
  log: Logger,
): Promise<Refusal | undefined> {
  if (message.parts.length === 0) return undefined;
  const allowed = check.allowedTypes();
  const probes: readonly (MediaProbe | undefined)[] = isStage(content) ? content.probes() : content.map((b) => probeOf(b));
  for (const [n, ref] of message.parts.entries()) {
    const name = ref.contentLocation ?? ref.contentId;
    const label = `part ${n + 1}${name ? ` (${clip(name)})` : ''}`;
    const probe = probes[ref.index];
    try {
      // A part the content does not hold cannot be checked: never stored unchecked.
      if (!probe) throw new MediaTypeError('type-mismatch', `declared ${ref.contentType}, but no bytes were received for it`);
      await checkProbe(probe, ref.contentType, allowed, ref.params?.charset);
    } catch (err) {
      if (!(err instanceof MediaTypeError)) throw err;
      check.refused?.(message.origin.iface, err.reason);
      log.info(
        { messageId: message.id, part: n + 1, reason: err.reason, detail: err.message },
        'submission refused: a part is not of its type',
      );
      return new Refusal('content-type-mismatch', `${label}: ${err.message}`);
    }
  }
  return undefined;
}

function isStage(content: readonly Buffer[] | ContentStage): content is ContentStage {
  return !Array.isArray(content);
}

/** A part's name as the sender gave it, cut short for an answer. */
function clip(name: string): string {
  return name.length > 80 ? `${name.slice(0, 77)}...` : name;
}
