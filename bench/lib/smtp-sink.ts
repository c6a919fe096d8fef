/**
 * The peer carrier's SMTP server of bench/mm4.ts: smtp-server on loopback, in a process of its own (so that
 * its CPU is apart from the gateway's and counted on its own), taking every message and counting it. It
 * reads each DATA stream to its end (the bytes, dot-unstuffed by smtp-server) and answers 250, as a peer
 * MMSC's listener would before it parses. No TLS, no AUTH: the gateway's peer is configured `tls: none`.
 *
 * Driven over IPC (bench/lib/child.ts): it says { kind: 'ready', port }, answers { kind: 'count' } with the
 * messages and bytes taken so far, and { kind: 'close' } by closing and exiting.
 */
import { SMTPServer } from 'smtp-server';
import { forkBenchChild, type BenchChild } from './child.js';

export type FromSink = { kind: 'ready'; port: number } | { kind: 'count'; messages: number; bytes: number } | { kind: 'closed' };
export type ToSink = { kind: 'count' } | { kind: 'close' };

/** In the sink's process: listens and serves the parent until it says close (or is gone). */
export async function sinkChild(): Promise<void> {
  let messages = 0;
  let bytes = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    maxClients: 1024,
    onData(stream, _session, cb) {
      stream.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      stream.once('end', () => {
        messages++;
        cb(null, 'queued by the bench sink');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  const send = (m: FromSink, then?: () => void) => process.send!(m, undefined, {}, then);
  process.on('message', (m: ToSink) => {
    if (m.kind === 'count') return send({ kind: 'count', messages, bytes });
    server.close(() => send({ kind: 'closed' }, () => process.disconnect()));
  });
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready', port });
}

export interface Sink {
  port: number;
  pid: number | undefined;
  count(): Promise<{ messages: number; bytes: number }>;
  close(): Promise<void>;
}

/** Forks `file` (whose `--sink` mode calls sinkChild) and waits for it to listen. */
export async function forkSink(file: string): Promise<Sink> {
  const c: BenchChild<FromSink, ToSink> = forkBenchChild<FromSink, ToSink>(file, ['--sink'], 'SMTP sink');
  const { port } = await c.next('ready');
  return {
    port,
    pid: c.child.pid,
    count: async () => {
      const r = await c.ask({ kind: 'count' }, 'count');
      return { messages: r.messages, bytes: r.bytes };
    },
    async close() {
      const exited = new Promise((r) => c.child.once('exit', r));
      await c.ask({ kind: 'close' }, 'closed');
      await exited;
      c.release();
    },
  };
}
