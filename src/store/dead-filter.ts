import type { DeadLetter, DeadLetterFilter } from '../core/ports.js';

/** Whether a dead letter is one the filter asks for: its peer, and `reason` within its error (any case). */
export function deadMatches(d: Pick<DeadLetter, 'peer' | 'error'>, filter: DeadLetterFilter = {}): boolean {
  if (filter.peer !== undefined && d.peer !== filter.peer) return false;
  if (filter.reason !== undefined && !d.error.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  return true;
}

/** The history detail of a job an operator requeued from the dead letters. */
export const REQUEUED_DETAIL = 'requeued from the dead letters';
