import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Start an HTTP server on host:port (port 0: any free one); resolves with its URL, rejects if it cannot bind. */
export async function listenHttp(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}
