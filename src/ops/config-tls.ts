// TLS and access settings shared by every HTTP listener (MM1, its web view, MM7/REST, ops): one schema
// fragment each listener's section takes under its own key (`mm7.tls`, `mm1.tls`, `mm1.webViewTls`,
// `ops.tls`), and the proxy list that decides whose X-Forwarded-For names the client.
import { z } from 'zod';
import { parseCidr } from '../transport/ip-ranges.js';

/** A CIDR range or single address (checked by parseCidr; the error says why not). */
export const cidrEntry = z.string().refine((v) => typeof parseCidr(v) !== 'string', { error: (i) => String(parseCidr(String(i.input))) });

/**
 * HTTPS on a listener. The files are read (and checked to make a key and certificate) when the listener is
 * built, and read again on SIGHUP (src/transport/http-tls.ts), so that a renewed certificate is served
 * without a restart. clientCert (RFC 8446 §4.3.2 CertificateRequest): none = not asked for; request = asked
 * for, checked against caFile, and a connection without one (or with one caFile does not sign) still
 * served, unauthenticated by it; require = the handshake fails without a certificate caFile signs.
 */
export const HttpTlsSchema = z
  .object({
    certFile: z.string().min(1).describe('PEM certificate (chain) file of the listener'),
    keyFile: z.string().min(1).describe('PEM private key file of certFile'),
    caFile: z.string().min(1).optional().describe('PEM file of the CAs that sign client certificates (with clientCert request or require)'),
    clientCert: z
      .enum(['none', 'request', 'require'])
      .default('none')
      .describe(
        'client certificates: none = not asked for; request = asked for, optional; require = no connection without one caFile signs',
      ),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.clientCert !== 'none' && v.caFile === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['caFile'],
        message: `required when clientCert is ${v.clientCert} (the CAs client certificates are checked against)`,
      });
  });

export type HttpTlsConfig = z.infer<typeof HttpTlsSchema>;

/** `tls` of a listener's section: unset = plain HTTP. */
export const httpTls = (listener: string) =>
  HttpTlsSchema.optional().describe(
    `HTTPS on the ${listener} listener: { certFile, keyFile, caFile?, clientCert: none|request|require }, reloaded on SIGHUP; unset = plain HTTP`,
  );

/**
 * Proxies in front of a listener whose X-Forwarded-For is believed (RFC 7239 §5.2's de facto predecessor):
 * the client is the last address in the header that is not one of them. [] = the socket's peer is the client.
 */
export const trustedProxies = (listener: string) =>
  z
    .array(cidrEntry)
    .default([])
    .describe(
      `source addresses (CIDR) of reverse proxies in front of the ${listener} listener whose X-Forwarded-For names the client (for allowIps and logs); [] = the connection's own address`,
    );

/**
 * The client certificate that authenticates a VASP (instead of, or besides, HTTP Basic): checked only on a
 * listener whose tls.clientCert asks for one, and only when caFile signs it. Both fields given: both must match.
 */
export const VaspClientCertSchema = z
  .object({
    subject: z.string().min(1).optional().describe("the certificate's subject common name (CN)"),
    fingerprint256: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 fingerprint: 64 hex digits, colons optional')
      .transform((f) => f.replace(/:/g, '').toUpperCase())
      .optional()
      .describe("the certificate's SHA-256 fingerprint (as `openssl x509 -fingerprint -sha256` prints it)"),
  })
  .strict()
  .refine((v) => v.subject !== undefined || v.fingerprint256 !== undefined, 'subject, fingerprint256 or both');

export type VaspClientCert = z.infer<typeof VaspClientCertSchema>;
