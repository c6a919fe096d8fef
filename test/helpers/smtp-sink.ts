// An SMTP server on loopback that keeps every transaction it accepts (smtp-server): the peer MMSC, mail relay
// or interconnect a test sends to. `rcpt`/`data` may answer an SMTP error [code, text] instead; mm4Sink parses.
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Test } from 'tap';
import { type Mm4Message, parseMm4 } from '../../protocols/mm4/index.js';

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
  /** Reads each message before taking it (a rejection is the reply: the peer that parses what it gets). */
  check?: (r: Received) => Promise<void>;
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
        if (err) return cb(err);
        const env = session.envelope;
        const r = {
          mailFrom: env.mailFrom === false ? '' : env.mailFrom.address,
          rcptTo: env.rcptTo.map((x) => x.address),
          bytes: Buffer.concat(chunks),
        };
        (o.check ? o.check(r) : Promise.resolve()).then(
          () => {
            s.received.push(r);
            cb(null);
          },
          (e: Error) => cb(e),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  s.port = (server.server.address() as { port: number }).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return s;
}

/** A peer MMSC: every MM4 message it is sent, parsed (parseMm4), with its envelope recipients. */
export async function mm4Sink(t: Test): Promise<{ port: number; got: Array<{ rcptTo: string[]; bytes: Buffer; msg: Mm4Message }> }> {
  const got: Array<{ rcptTo: string[]; bytes: Buffer; msg: Mm4Message }> = [];
  const s = await smtpSink(t, {
    check: async (r) => {
      got.push({ rcptTo: r.rcptTo, bytes: r.bytes, msg: await parseMm4(r.bytes) });
    },
  });
  return { port: s.port, got };
}
