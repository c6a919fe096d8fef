// A TCP relay on loopback between an SMTP client and an SMTP server (the network between two carriers'
// MMSCs), which follows each session far enough to know when a message's DATA is streaming (RFC 5321
// §4.1.1.4: after the DATA command, until <CRLF>.<CRLF>), so that a test can make something happen at that
// exact moment: the receiving server killed with half a message in its socket, or killed after it
// accepted a message (250 to the end of DATA) with that reply never reaching the client, which must then
// send the message again (RFC 5321 §4.1.1.4: a lost reply leaves the sender in doubt; duplicates, not loss).
// It understands nothing else of SMTP and changes no byte it relays; a session whose other side goes away is
// closed on this side too.
import { createServer, connect, type Server, type Socket } from 'node:net';

const END_OF_DATA = '\r\n.\r\n';

export interface Cut {
  /** Body bytes of the cut message relayed to the server before the action (mid-DATA: the rest never went). */
  relayed: number;
  /** Body bytes of that message the relay had received from the client when it cut. */
  received: number;
  /** after-accept: the server's reply to the end of DATA, which the client never got. */
  reply?: string;
  /** The first bytes of the cut message (its header section, as far as HEAD_BYTES go), latin1. */
  head: string;
}

const HEAD_BYTES = 8192;

type Armed = { kind: 'mid-data' | 'after-accept'; action: () => Promise<void>; resolve: (c: Cut) => void; reject: (e: unknown) => void };

export class SmtpRelay {
  /** Sessions relayed so far, and message bodies seen complete (the client sent <CRLF>.<CRLF>). */
  sessions = 0;
  bodies = 0;
  private readonly open = new Set<Socket>();
  private cut: Armed | undefined;

  private constructor(
    private readonly server: Server,
    private readonly target: number,
  ) {}

  /** Relay 127.0.0.1:<port> to 127.0.0.1:<target> (port: 0 = any free one). */
  static async start(target: number, port = 0): Promise<SmtpRelay> {
    const server = createServer();
    const relay = new SmtpRelay(server, target);
    server.on('connection', (s) => relay.session(s));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /**
   * Arm: the next body chunk of a message in DATA is relayed only in its first half, then `action` runs (it
   * kills the server), then that session is closed. Resolves with what was relayed once the action is done.
   */
  cutMidData(action: () => Promise<void>): Promise<Cut> {
    return this.arm('mid-data', action);
  }

  /**
   * Arm: the next 2xx reply of the server to the end of a message's DATA is not relayed; `action` runs (it
   * kills the server), then that session is closed. The server has the message; the client does not know.
   */
  cutAfterAccept(action: () => Promise<void>): Promise<Cut> {
    return this.arm('after-accept', action);
  }

  private arm(kind: Armed['kind'], action: () => Promise<void>): Promise<Cut> {
    if (this.cut) throw new Error('a cut is armed already');
    return new Promise<Cut>((resolve, reject) => {
      this.cut = { kind, action, resolve, reject };
    });
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private session(client: Socket): void {
    this.sessions++;
    const server = connect(this.target, '127.0.0.1');
    this.open.add(client).add(server);
    const end = () => {
      client.destroy();
      server.destroy();
      this.open.delete(client);
      this.open.delete(server);
    };
    for (const s of [client, server]) {
      s.on('error', end);
      s.on('close', end);
    }
    let inData = false;
    /** The client sent the end of a body and waits for the server's verdict on it. */
    let awaitingVerdict = false;
    let bodyBytes = 0;
    let head = '';
    server.on('data', (b: Buffer) => {
      const cut = this.cut;
      if (awaitingVerdict && cut?.kind === 'after-accept' && b[0] === 0x32 /* '2' */) {
        this.cut = undefined;
        server.pause();
        const reply = b.toString('latin1').split('\r\n')[0] ?? '';
        cut
          .action()
          .then(() => cut.resolve({ relayed: bodyBytes, received: bodyBytes, reply, head }), cut.reject)
          .finally(end);
        return;
      }
      awaitingVerdict = false;
      client.write(b);
    });
    /** A command line not complete yet (commands), or the last bytes of the body (to find <CRLF>.<CRLF> across chunks). */
    let carry = '';
    client.on('data', (b: Buffer) => {
      if (!inData) {
        server.write(b);
        const lines = (carry + b.toString('latin1')).split('\r\n');
        carry = lines.pop() ?? '';
        // Body bytes only follow once the server has answered DATA with 354, so they come in later chunks.
        if (lines.some((l) => l.toUpperCase() === 'DATA')) {
          inData = true;
          carry = '\r\n';
          bodyBytes = 0;
          head = '';
        }
        return;
      }
      const seen = carry + b.toString('latin1');
      if (head.length < HEAD_BYTES) head += b.subarray(0, HEAD_BYTES - head.length).toString('latin1');
      const cut = this.cut;
      const half = b.subarray(0, b.length >> 1);
      if (cut?.kind === 'mid-data' && half.length > 0 && !(carry + half.toString('latin1')).includes(END_OF_DATA)) {
        this.cut = undefined;
        client.pause();
        server.write(half, () => {
          cut
            .action()
            .then(() => cut.resolve({ relayed: bodyBytes + half.length, received: bodyBytes + b.length, head }), cut.reject)
            .finally(end);
        });
        return;
      }
      server.write(b);
      bodyBytes += b.length;
      if (seen.includes(END_OF_DATA)) {
        inData = false;
        awaitingVerdict = true;
        this.bodies++;
        carry = '';
      } else carry = seen.slice(-4);
    });
  }
}
