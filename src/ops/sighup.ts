import type { Gateway } from '../gateway.js';

/**
 * SIGHUP reloads what can change without a restart (POSIX daemons' convention: nginx, Postfix): here the
 * HTTPS listeners' certificates (Gateway.reloadTls). Returns the function that removes the handler.
 * TODO(issue 23, merge): one SIGHUP handler calling Gateway.reload() (peers and accounts) and reloadTls.
 */
export function reloadTlsOnSighup(gateway: Pick<Gateway, 'reloadTls'>): () => void {
  const handler = (): void => {
    gateway.reloadTls();
  };
  process.on('SIGHUP', handler);
  return () => process.off('SIGHUP', handler);
}
