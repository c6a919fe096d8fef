/**
 * Counts the parts of a multipart/form-data body as busboy delimits them, so that the REST API notices a
 * part busboy drops without a word. busboy 1.6 skips, emitting nothing, a part whose Content-Disposition it
 * cannot parse (an RFC 2231 filename* in a charset it does not know, with bad %-encoding or without its two
 * quotes; even a trailing ";"), a part that is not form-data, and a part without Content-Disposition: the
 * submission would be accepted without it. Fewer 'field' and 'file' events than parts counted here means
 * such a part.
 *
 * busboy's delimiter rule (lib/types/multipart.js): it searches "CRLF--boundary" anywhere in the body, read
 * as if it began with CRLF; a match followed by CRLF starts a part, one followed by "--" ends the body (the
 * rest is ignored), one followed by anything else is content. The same rule here, chunk by chunk, holding
 * back only the last few octets of a chunk (a delimiter split across chunks).
 */
export class FormPartCounter {
  /** Parts started so far. */
  parts = 0;
  private closed = false;
  /** The end of the body so far that may begin a delimiter not yet complete (at most the needle and 2 octets). */
  private tail: Buffer = Buffer.from('\r\n');
  private readonly needle: Buffer;

  constructor(boundary: string) {
    // busboy compares the boundary as the octets of its string (a JavaScript string written as latin1).
    this.needle = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // No boundary: busboy refuses the request before any part; count nothing rather than "CRLF--" lines.
    if (boundary === '') this.closed = true;
  }

  /**
   * The next chunk of the body. Positions below are in "tail + chunk"; the chunk itself is searched in
   * place (copying every chunk onto the tail would cost more than the search).
   */
  push(chunk: Buffer): void {
    if (this.closed) return;
    const n = this.needle.length;
    const t = this.tail;
    // Delimiters that begin in the tail, found in the tail and the chunk's first octets: enough for a whole
    // delimiter and the two octets after it, unless the chunk is shorter.
    const seam = Buffer.concat([t, chunk.subarray(0, n + 1)]);
    const inTail = this.scan(seam, 0, t.length);
    if (inTail === 'closed') return;
    let keep: number;
    if (inTail.unfinished !== undefined) keep = inTail.unfinished;
    else {
      const inChunk = this.scan(chunk, Math.max(0, inTail.after - t.length), chunk.length);
      if (inChunk === 'closed') return;
      if (inChunk.unfinished !== undefined) keep = t.length + inChunk.unfinished;
      else {
        const after = inChunk.found ? t.length + inChunk.after : inTail.after;
        keep = Math.max(after, t.length + chunk.length - (n - 1));
      }
    }
    this.tail = keep >= t.length ? Buffer.from(chunk.subarray(keep - t.length)) : Buffer.concat([t.subarray(keep), chunk]);
  }

  /**
   * Counts the delimiters of `buf` that begin in [from, before): 'closed' at the close delimiter; else
   * where the search may go on (`after`, past the last delimiter, or `from`), whether one was found, and
   * where one begins whose two following octets are not in `buf` yet.
   */
  private scan(buf: Buffer, from: number, before: number): 'closed' | { after: number; found: boolean; unfinished?: number } {
    const n = this.needle.length;
    let after = from;
    let found = false;
    for (let i = buf.indexOf(this.needle, from); i >= 0 && i < before; i = buf.indexOf(this.needle, after)) {
      if (i + n + 2 > buf.length) return { after, found, unfinished: i };
      const a = buf[i + n];
      const b = buf[i + n + 1];
      if (a === 0x0d && b === 0x0a) this.parts++;
      else if (a === 0x2d && b === 0x2d) {
        this.closed = true;
        this.tail = Buffer.alloc(0);
        return 'closed';
      }
      after = i + n;
      found = true;
    }
    return { after, found };
  }
}
