// HTTPS for the HTTP listeners: the certificate, key and client CAs read from the files a listener's `tls`
// names, checked at start (a key that is not the certificate's fails the start naming the key, as mm4's
// listener does: src/mm4/tls.ts), and read again on SIGHUP.
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type { HttpTlsConfig } from '../ops/config-tls.js';
import { ConfigError } from '../ops/config.js';

/** A listener's TLS: the config and the key it sits under (e.g. `mm7.tls`), for error messages. */
export interface ListenerTls {
  key: string;
  config: HttpTlsConfig;
}

/** The files' contents as a secure context takes them; a ConfigError naming the key when they do not make one. */
export function secureContextOf(t: ListenerTls): SecureContextOptions {
  const c = t.config;
  const opts: SecureContextOptions = { cert: read(`${t.key}.certFile`, c.certFile), key: read(`${t.key}.keyFile`, c.keyFile) };
  if (c.caFile !== undefined) opts.ca = read(`${t.key}.caFile`, c.caFile);
  try {
    createSecureContext(opts);
  } catch (e) {
    throw new ConfigError(
      `${t.key}.keyFile: ${c.keyFile} and ${t.key}.certFile ${c.certFile}${c.caFile !== undefined ? ` (with ${t.key}.caFile ${c.caFile})` : ''} do not make a TLS key and certificate (${(e as Error).message})`,
    );
  }
  return opts;
}

/**
 * The server options of an HTTPS listener: the secure context, and whether a client certificate is asked
 * for. With `request` the handshake completes without one (rejectUnauthorized false): the application sees
 * `socket.authorized` and decides (src/vasp/accounts.ts); with `require` it fails without one caFile signs.
 */
export function httpsOptions(t: ListenerTls): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    ...secureContextOf(t),
    requestCert: t.config.clientCert !== 'none',
    rejectUnauthorized: t.config.clientCert === 'require',
  };
}

/**
 * Reads the files again and serves them to new handshakes (tls.Server.setSecureContext): connections open
 * (keep-alive ones included) keep the session they have. Files that do not make a context throw (ConfigError)
 * and leave the one in use.
 */
export function reloadHttpTls(server: HttpServer, t: ListenerTls): void {
  if (!(server instanceof HttpsServer)) throw new TypeError(`${t.key}: the listener was not started with TLS`);
  server.setSecureContext(secureContextOf(t));
}

/** The verified client certificate of a request's connection, if there is one (caFile signs it). */
export function verifiedPeerCertificate(socket: unknown): { subjectCN: string | undefined; fingerprint256: string } | undefined {
  const s = socket as Partial<TLSSocket>;
  if (s.encrypted !== true || s.authorized !== true || typeof s.getPeerCertificate !== 'function') return undefined;
  const cert = s.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const cn = cert.subject?.CN;
  return { subjectCN: Array.isArray(cn) ? cn[0] : cn, fingerprint256: cert.fingerprint256.replace(/:/g, '').toUpperCase() };
}

function read(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
