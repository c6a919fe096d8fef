/**
 * The cursor of a search page (Queue.search), the same for both backends: the last hit of the page
 * (receivedAt and message id), base64url, so that the next page starts strictly after it in the order
 * (at descending, then id descending) whatever was indexed since.
 */
export interface SearchPosition {
  at: number;
  messageId: string;
}

export function encodeCursor(p: SearchPosition): string {
  return Buffer.from(`${p.at}:${p.messageId}`).toString('base64url');
}

/** The position a cursor names, or undefined for one that is not ours (the caller answers 400). */
export function decodeCursor(cursor: string): SearchPosition | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):(.+)$/s.exec(text);
  if (!m) return undefined;
  return { at: Number(m[1]), messageId: m[2]! };
}

/** Whether the hit (at, id) comes after the position in the order of the pages (newest first, then id descending). */
export function after(at: number, id: string, p: SearchPosition | undefined): boolean {
  if (!p) return true;
  return at < p.at || (at === p.at && id < p.messageId);
}

/** Most hits a page may ask for. */
export const SEARCH_MAX_LIMIT = 512;
