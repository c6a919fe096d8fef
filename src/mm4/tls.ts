import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, type Mm4Config } from '../ops/config.js';

/** The listener's TLS (mm4.tlsMode): its certificate and key, read once, when the listener is built. */
export type Mm4ListenerTls = { mode: 'none' } | { mode: 'starttls' | 'implicit'; cert: Buffer; key: Buffer };

/**
 * Reads mm4.tlsCertFile and mm4.tlsKeyFile and checks they make a TLS context, so that a path that cannot be
 * read, a file that is not PEM or a key that is not the certificate's fails the start (ConfigError naming
 * the key), not the first peer's handshake.
 */
export function loadListenerTls(c: Pick<Mm4Config, 'tlsMode' | 'tlsCertFile' | 'tlsKeyFile'>): Mm4ListenerTls {
  if (c.tlsMode === 'none') return { mode: 'none' };
  const cert = readKey('mm4.tlsCertFile', c.tlsCertFile);
  const key = readKey('mm4.tlsKeyFile', c.tlsKeyFile);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new ConfigError(
      `mm4.tlsKeyFile: ${c.tlsKeyFile} and mm4.tlsCertFile ${c.tlsCertFile} do not make a TLS key and certificate (${(e as Error).message})`,
    );
  }
  return { mode: c.tlsMode, cert, key };
}

function readKey(key: string, file: string | undefined): Buffer {
  if (file === undefined) throw new ConfigError(`${key}: required when mm4.tlsMode is not none`);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
