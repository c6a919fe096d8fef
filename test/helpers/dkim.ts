// Verifies a DKIM-Signature (RFC 6376) with node:crypto, written from the RFC (§3.4 canonicalisation, §3.7
// hash computation), for tests of what the MM3 and MM4 edges sign.
import { createHash, type KeyObject, verify } from 'node:crypto';

/** Verifies a DKIM-Signature (RFC 6376, c=relaxed/relaxed, a=rsa-sha256) of `raw` with `key`; returns the tags. */
export function verifyDkim(raw: Buffer, key: KeyObject): Record<string, string> {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split + 2);
  const body = text.slice(split + 4);
  // Header fields, unfolded later (continuation lines kept with their field).
  const fields = head.split(/\r\n(?![ \t])/).filter((f) => f !== '');
  const sigField = fields.find((f) => /^dkim-signature:/i.test(f));
  if (!sigField) throw new Error('no DKIM-Signature');
  const sigValue = sigField.slice(sigField.indexOf(':') + 1);
  const tags = Object.fromEntries(
    sigValue
      .replace(/\s+/g, '')
      .split(';')
      .filter((x) => x !== '')
      .map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
  ) as Record<string, string>;
  if (tags.c !== 'relaxed/relaxed' || tags.a !== 'rsa-sha256') throw new Error(`unexpected c=${tags.c} a=${tags.a}`);
  // §3.4.4 relaxed body: WSP runs to one SP, no WSP at line ends, no empty lines at the end.
  let lines = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines = lines.slice(0, -1);
  const canonBody = lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
  const bh = createHash('sha256').update(canonBody, 'latin1').digest('base64');
  if (bh !== tags.bh) throw new Error('body hash mismatch');
  // §3.4.2 relaxed header: lower-case name, unfolded, WSP runs to one SP, trimmed; the last instances first.
  const relaxed = (f: string): string => {
    const i = f.indexOf(':');
    return `${f.slice(0, i).trim().toLowerCase()}:${f
      .slice(i + 1)
      .replace(/\r\n/g, '')
      .replace(/[ \t]+/g, ' ')
      .trim()}`;
  };
  const pool = fields.filter((f) => f !== sigField);
  let data = '';
  for (const name of tags.h!.split(':')) {
    for (let i = pool.length - 1; i >= 0; i--) {
      if (pool[i]!.slice(0, pool[i]!.indexOf(':')).trim().toLowerCase() === name.toLowerCase()) {
        data += `${relaxed(pool[i]!)}\r\n`;
        pool.splice(i, 1);
        break;
      }
    }
  }
  data += relaxed(sigField)
    .replace(/b=[^;]*$/, 'b=')
    .replace(/(;\s*b=)[^;]*(;|$)/, '$1$2');
  if (!verify('sha256', Buffer.from(data, 'latin1'), key, Buffer.from(tags.b!, 'base64'))) throw new Error('signature does not verify');
  return tags;
}
