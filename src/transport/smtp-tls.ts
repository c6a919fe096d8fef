// How an SMTP client session is protected, the same for every SMTP edge that sends (MM4 to peers, MM3 to the
// relay): the mode an operator chooses, applied to nodemailer's options.
import { isIP } from 'node:net';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

/**
 * - 'starttls-required': STARTTLS (RFC 3207) or no session; the certificate is verified;
 * - 'opportunistic': STARTTLS when offered, without verifying the certificate (RFC 7435: unauthenticated
 *   encryption beats cleartext; GRX/IPX peers often use private CAs), cleartext otherwise;
 * - 'implicit': TLS from the first byte (RFC 8314 §3.3), certificate verified;
 * - 'none': cleartext, STARTTLS not attempted even when offered.
 */
export type SmtpTlsMode = 'starttls-required' | 'opportunistic' | 'implicit' | 'none';

/** Sets `o`'s TLS fields for `mode` towards `host`; `ca`: a PEM bundle that signs the server's certificate. */
export function applySmtpTls(o: SMTPPool.Options, mode: SmtpTlsMode, host: string, ca?: string): void {
  const tls: NonNullable<SMTPPool.Options['tls']> = {};
  if (isIP(host) === 0) tls.servername = host; // RFC 6066 §3: SNI names a host, never an address
  if (ca !== undefined) tls.ca = ca;
  switch (mode) {
    case 'implicit':
      o.secure = true;
      break;
    case 'starttls-required':
      o.secure = false;
      o.requireTLS = true;
      break;
    case 'opportunistic':
      o.secure = false;
      tls.rejectUnauthorized = false;
      break;
    case 'none':
      o.secure = false;
      o.ignoreTLS = true;
      break;
  }
  o.tls = tls;
}
