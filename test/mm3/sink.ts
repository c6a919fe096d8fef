// Test helpers of the MM3 tests: an SMTP sink (smtp-server on loopback) standing for the mail relay, a
// line-by-line raw SMTP client, and a reader of received mail (protocols/mm4's header-block and MIME reader).
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Test } from 'tap';
import type { MimeHeaders } from '../../protocols/mime/index.js';
import { DEFAULT_MM4_LIMITS, type Mm4Content } from '../../protocols/mm4/index.js';
import { parseContent } from '../../protocols/mm4/content.js';
import { splitMessage } from '../../protocols/mm4/header-block.js';

export interface Received {
  mailFrom: string;
  rcptTo: string[];
  bytes: Buffer;
}

export interface Sink {
  port: number;
  received: Received[];
}

/** A relay that records each transaction; `rcpt`/`data` may answer [code, text] instead. */
export async function sink(
  t: Test,
  o: { rcpt?: () => [number, string] | undefined; data?: () => [number, string] | undefined } = {},
): Promise<Sink> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.port = (server.server.address() as { port: number }).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return s;
}

/** A received mail read back: its header fields and its MIME tree. */
export async function readBack(bytes: Buffer): Promise<{ headers: MimeHeaders; content: Mm4Content }> {
  const { headers, body } = splitMessage(bytes, DEFAULT_MM4_LIMITS);
  return { headers, content: await parseContent(headers, body, DEFAULT_MM4_LIMITS.maxBytes) };
}

/** A line-by-line SMTP client: each call sends one command and resolves to the whole reply. */
export class RawSmtp {
  private buf = '';
  private waiting: ((reply: string) => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.flush();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  /** Connects to 127.0.0.1:port from `localAddress` (another loopback address stands for another host). */
  static async open(t: Test, port: number, localAddress = '127.0.0.1'): Promise<{ raw: RawSmtp; greeting: string }> {
    const raw = new RawSmtp(connect({ port, host: '127.0.0.1', localAddress }));
    t.teardown(() => raw.socket.destroy());
    return { raw, greeting: await raw.reply() };
  }

  private flush(): void {
    // A reply ends with a line "ddd text" (RFC 5321 §4.2.1: "ddd-" continues it).
    const m = /(^|\r\n)\d{3} [^\r\n]*\r\n/.exec(this.buf);
    if (!m || !this.waiting) return;
    const end = m.index + m[0].length;
    const reply = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    const w = this.waiting;
    this.waiting = undefined;
    w(reply.trimEnd());
  }

  reply(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.flush();
    });
  }

  send(line: string): Promise<string> {
    const r = this.reply();
    this.socket.write(`${line}\r\n`);
    return r;
  }

  /** Writes bytes without waiting for a reply (DATA content). */
  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }
}
