// A line-by-line SMTP client for tests that look at the exact reply to each command (nodemailer hides them):
// each `send` writes one command and resolves to the whole reply; STARTTLS can upgrade the same socket.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface RawOptions {
  host?: string;
  /** The client's own address (e.g. 127.0.0.2, to be an address no peer uses). */
  localAddress?: string;
  /** Implicit TLS (RFC 8314): the handshake first, trusting `ca`. */
  tls?: { ca: Buffer };
}

export class RawSmtp {
  private buf = '';
  private waiting: ((reply: string) => void) | undefined;
  private socket: Socket;
  closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = this.attach(socket);
  }

  private attach(socket: Socket): Promise<void> {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.flush();
    });
    socket.on('error', () => undefined);
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, o: RawOptions = {}): Promise<{ raw: RawSmtp; greeting: string }> {
    const host = o.host ?? '127.0.0.1';
    const socket = o.tls
      ? tlsConnect({ port, host, ca: o.tls.ca, servername: 'localhost', ...(o.localAddress ? { localAddress: o.localAddress } : {}) })
      : connect({ port, host, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
    const raw = new RawSmtp(socket);
    // A connection or handshake that fails rejects (a reply would never come).
    const failed = new Promise<never>((_resolve, reject) => socket.once('error', reject));
    return { raw, greeting: await Promise.race([raw.reply(), failed]) };
  }

  private flush(): void {
    // A reply ends with a line "ddd text" (RFC 5321 §4.2.1: "ddd-" continues it).
    const m = /(^|\r\n)\d{3}( [^\r\n]*)?\r\n/.exec(this.buf);
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

  /** The next `n` replies (pipelined commands, RFC 2920), in order. */
  async replies(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply());
    return out;
  }

  send(line: string): Promise<string> {
    const r = this.reply();
    this.socket.write(`${line}\r\n`);
    return r;
  }

  write(bytes: string | Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** Resolves once the socket's write buffer has drained (after a write that returned false). */
  drained(): Promise<void> {
    return new Promise((resolve) => this.socket.once('drain', () => resolve()));
  }

  /** STARTTLS (RFC 3207): the command, then the handshake on the same socket, trusting `ca`. Resolves to the 220. */
  async starttls(ca: Buffer): Promise<string> {
    const go = await this.send('STARTTLS');
    if (!go.startsWith('220')) return go;
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure: TLSSocket = tlsConnect({ socket: plain, ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.closed = this.attach(secure);
    return go;
  }

  get secure(): boolean {
    return 'encrypted' in this.socket;
  }

  end(): void {
    this.socket.destroy();
  }
}
