// An SMTP server on loopback that keeps every transaction it accepts (smtp-server): the peer MMSC, mail relay
// or interconnect a test sends to. `rcpt`/`data` may answer an SMTP error [code, text] instead.
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Test } from 'tap';

export interface Received {
  mailFrom: string;
  rcptTo: string[];
  bytes: Buffer;
}

export interface Sink {
  port: number;
  received: Received[];
}

export interface SinkOptions {
  rcpt?: () => [number, string] | undefined;
  data?: () => [number, string] | undefined;
  /** Where it listens: 127.0.0.1 and a free port unless given (another loopback address stands for another host). */
  host?: string;
  port?: number;
}

/** Starts the sink; closed at the test's teardown. */
export async function smtpSink(t: Test, o: SinkOptions = {}): Promise<Sink> {
  const s: Sink = { port: 0, received: [] };
  const fail = (r: [number, string] | undefined): Error | null => (r ? Object.assign(new Error(r[1]), { responseCode: r[0] }) : null);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo: (_a: SMTPServerAddress, _s, cb) => cb(fail(o.rcpt?.())),
    onData: (stream: Readable, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const err = fail(o.data?.());
        if (!err) {
          const env = session.envelope;
          s.received.push({
            mailFrom: env.mailFrom === false ? '' : env.mailFrom.address,
            rcptTo: env.rcptTo.map((r) => r.address),
            bytes: Buffer.concat(chunks),
          });
        }
        cb(err);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  s.port = (server.server.address() as { port: number }).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return s;
}
