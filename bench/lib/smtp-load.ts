/**
 * An SMTP load generator that is cheap enough not to be the bottleneck (bench/mm4.ts): raw sockets, one
 * session per socket, each message sent with PIPELINING (RFC 2920 §3.1: MAIL, RCPT and DATA in one write,
 * then the content once 354 is in) so a message costs two round trips, and its bytes prepared once by the
 * caller (dot-stuffed, RFC 5321 §4.5.2) and written as they are. Replies are matched to commands in order
 * (RFC 2920 §3.2: a server answers pipelined commands in order); a reply ends at a line "ddd text".
 */
import { connect, type Socket } from 'node:net';

/** One message: its envelope and its content, already dot-stuffed and ending in CRLF (not the final dot). */
export interface Outgoing {
  mailFrom: string;
  rcptTo: string;
  /** Parts written one after the other (e.g. per-message header fields, then a shared body). */
  content: readonly Buffer[];
  size: number;
}

const FINAL_DOT = Buffer.from('.\r\n');

export class SmtpLoadSession {
  private buf = '';
  private readonly waiting: Array<(reply: string) => void> = [];
  private error: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('SMTP session closed')));
  }

  /** Connects, reads the greeting, says EHLO; throws unless the server offers PIPELINING. */
  static async open(port: number, host = '127.0.0.1', name = 'bench.invalid'): Promise<SmtpLoadSession> {
    const socket = connect(port, host);
    const s = new SmtpLoadSession(socket);
    const greeting = await s.reply();
    if (!greeting.startsWith('220')) throw new Error(`SMTP greeting: ${greeting}`);
    const ehlo = s.reply();
    socket.write(`EHLO ${name}\r\n`);
    const caps = await ehlo;
    if (!caps.startsWith('250')) throw new Error(`EHLO: ${caps}`);
    if (!/^250[- ]PIPELINING$/im.test(caps)) throw new Error('the server does not offer PIPELINING');
    return s;
  }

  private onData(d: string): void {
    this.buf += d;
    let start = 0;
    for (;;) {
      const eol = this.buf.indexOf('\r\n', start);
      if (eol < 0) break;
      // "ddd-" continues a reply, "ddd " (or "ddd" alone) ends it (RFC 5321 §4.2.1).
      if (this.buf.charCodeAt(start + 3) !== 0x2d) {
        const reply = this.buf.slice(0, eol);
        this.buf = this.buf.slice(eol + 2);
        start = 0;
        this.waiting.shift()?.(reply);
        continue;
      }
      start = eol + 2;
    }
  }

  private fail(err: Error): void {
    this.error ??= err;
    for (const w of this.waiting.splice(0)) w(`000 ${err.message}`);
  }

  /** The next whole reply (its lines joined by CRLF); "000 <error>" when the session failed. */
  private reply(): Promise<string> {
    if (this.error) return Promise.resolve(`000 ${this.error.message}`);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends one message; resolves to the final reply to it (or the first refusal of MAIL, RCPT or DATA). */
  async send(m: Outgoing): Promise<string> {
    const mail = this.reply();
    const rcpt = this.reply();
    const data = this.reply();
    this.socket.write(`MAIL FROM:<${m.mailFrom}> SIZE=${m.size}\r\nRCPT TO:<${m.rcptTo}>\r\nDATA\r\n`);
    const [a, b, c] = await Promise.all([mail, rcpt, data]);
    if (!a.startsWith('250')) return a;
    if (!b.startsWith('250')) return b;
    if (!c.startsWith('354')) return c;
    const done = this.reply();
    this.socket.cork();
    for (const chunk of m.content) this.socket.write(chunk);
    this.socket.write(FINAL_DOT);
    this.socket.uncork();
    return done;
  }

  async quit(): Promise<void> {
    const bye = this.reply();
    this.socket.write('QUIT\r\n');
    await bye;
    this.socket.destroy();
  }
}

/** RFC 5321 §4.5.2: a line that starts with "." gets another; the content ends in CRLF. */
export function dotStuff(content: Buffer): Buffer {
  let text = content.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(text, 'latin1');
}
