// Test helpers of the MM3 tests: the SMTP sink standing for the mail relay (helpers/smtp-sink.ts), a
// line-by-line raw SMTP client, and a reader of received mail (protocols/mm4's header-block and MIME reader).
import { connect, type Socket } from 'node:net';
import type { Test } from 'tap';
import type { MimeHeaders } from '../../protocols/mime/index.js';
import { DEFAULT_MM4_LIMITS, type Mm4Content } from '../../protocols/mm4/index.js';
import { parseContent } from '../../protocols/mm4/content.js';
import { splitMessage } from '../../protocols/mm4/header-block.js';

export { smtpSink as sink, type Received, type Sink } from '../helpers/smtp-sink.js';

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
