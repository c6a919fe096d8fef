// What every SMTP listener of the gateway (MM4 from peers, MM3 from mail relays) does alike with smtp-server:
// listen and name its address, close, and answer an SMTP error with a reply code of our choosing.
import type { AddressInfo } from 'node:net';
import type { SMTPServer, SMTPServerError } from 'smtp-server';

/** Listens; resolves to `smtp://host:port` (the address as bound). */
export async function listenSmtp(server: SMTPServer, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const a = server.server.address() as AddressInfo;
  return `smtp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/** Stops listening; sessions still open are closed after smtp-server's closeTimeout. */
export function closeSmtp(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * An error smtp-server answers with `code` and `text` (RFC 3463: the enhanced status code first in the text,
 * where the caller has one).
 */
export function smtpReplyError(text: string, code: number): SMTPServerError {
  const e = new Error(text) as SMTPServerError;
  e.responseCode = code;
  return e;
}
