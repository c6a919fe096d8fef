import type { CoreMessage } from '../core/message.js';

/** What a handset is sent of a message: the parts kept (by index) and the size they make. */
export interface Adaptation {
  keep: number[];
  size: number;
  /** Parts left out, and why (for the job's history). */
  removed: string[];
}

export interface HandsetLimits {
  maxMessageBytes: number;
  /** type/subtype or type/* */
  contentTypes: readonly string[];
}

/** Parts a handset must get for the message to make sense: the text and the presentation. */
const ESSENTIAL = new Set(['text/plain', 'application/smil']);

/**
 * Content adaptation by removal (3GPP TS 23.140 §8.1.10 / OMA-TS-MMS_CTR §8.4: the MMSC may adapt content
 * to the terminal's capabilities unless the originator forbade it): parts of a type the handsets do not
 * take are removed, then the largest media until the message fits the size limit. No transcoding: an image
 * is kept whole or removed. A message that would have no content left, or that may not be adapted and does
 * not fit as it is, is refused (`refuse` says why).
 */
export function adaptFor(message: CoreMessage, limits: HandsetLimits): Adaptation | { refuse: string } {
  const mayAdapt = message.service?.allowAdaptations !== false;
  const allowed = (type: string): boolean =>
    limits.contentTypes.some((t) => (t.endsWith('/*') ? type.startsWith(t.slice(0, -1)) : t === type));
  const removed: string[] = [];
  let keep = message.parts.filter((p) => {
    if (allowed(p.contentType.toLowerCase())) return true;
    removed.push(`part ${p.index} (${p.contentType}): type not supported by handsets`);
    return false;
  });
  if (removed.length > 0 && !mayAdapt) return { refuse: `${removed[0]}, and the originator does not allow adaptation` };
  let size = keep.reduce((s, p) => s + p.size, 0);
  if (size > limits.maxMessageBytes) {
    if (!mayAdapt)
      return {
        refuse: `message of ${size} bytes is over the handset limit of ${limits.maxMessageBytes} bytes, and the originator does not allow adaptation`,
      };
    const bySize = keep.filter((p) => !ESSENTIAL.has(p.contentType.toLowerCase())).sort((a, b) => b.size - a.size);
    for (const p of bySize) {
      if (size <= limits.maxMessageBytes) break;
      keep = keep.filter((k) => k !== p);
      size -= p.size;
      removed.push(`part ${p.index} (${p.contentType}, ${p.size} bytes): over the handset size limit`);
    }
    if (size > limits.maxMessageBytes)
      return { refuse: `message of ${size} bytes is over the handset limit of ${limits.maxMessageBytes} bytes even without its media` };
  }
  if (message.parts.length > 0 && keep.every((p) => p.contentType.toLowerCase() === 'application/smil')) {
    return { refuse: 'no part of the message can be sent to a handset' };
  }
  return { keep: keep.map((p) => p.index), size, removed };
}
