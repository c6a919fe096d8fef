import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

/** One POST a webhook receiver got: the raw body (what a signature covers), parsed, and its headers. */
export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, unknown>;
  path: string;
}

/**
 * A webhook receiver on loopback (a real HTTP server): records each POST and answers `answer(body, nth)`,
 * where nth counts the deliveries of that eventId (1 the first time). Closed when the test ends.
 */
export async function webhookReceiver(
  t: Test,
  answer: (body: Record<string, unknown>, nth: number) => number = () => 204,
): Promise<{ url: string; got: ReceivedHook[] }> {
  const got: ReceivedHook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      got.push({ headers: req.headers, raw, body, path: req.url ?? '' });
      const nth = got.filter((g) => g.body.eventId === body.eventId).length;
      res.writeHead(answer(body, nth)).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got };
}

/**
 * Python's own HMAC-SHA256 over `${t}.${raw}` (an implementation that is not ours): 'ok' when one of the
 * Mmsc-Signature header's v1 values matches `secret`, else 'bad'.
 */
export function pythonVerifies(secret: string, header: string, raw: Buffer): string {
  const code = [
    'import hmac, hashlib, sys',
    'secret, header, body = sys.argv[1], sys.argv[2], sys.stdin.buffer.read()',
    "fields = [p.split('=', 1) for p in header.split(',')]",
    "t = [v for k, v in fields if k == 't'][0]",
    "sigs = [v for k, v in fields if k == 'v1']",
    "expected = hmac.new(secret.encode(), t.encode() + b'.' + body, hashlib.sha256).hexdigest()",
    "print('ok' if any(hmac.compare_digest(expected, s) for s in sigs) else 'bad')",
  ].join('\n');
  const r = spawnSync('python3', ['-c', code, secret, header], { input: raw, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout.trim();
}
