import { fork, type ChildProcess } from 'node:child_process';
import { MALLOC_ENV } from '../../src/ops/malloc.js';

/**
 * The environment of a benchmark's child processes: this one's, with glibc's allocator set as the shipped
 * deployments set it (src/ops/malloc.ts), unless the bench runs with `--malloc=default` (glibc's defaults).
 */
export function childEnv(): NodeJS.ProcessEnv {
  return process.argv.includes('--malloc=default') ? process.env : { ...process.env, ...MALLOC_ENV };
}

/** One line for a report: which allocator settings the children run with. */
export function mallocNote(): string {
  return process.argv.includes('--malloc=default')
    ? 'glibc allocator defaults (--malloc=default)'
    : `glibc allocator as deployed (${Object.entries(MALLOC_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}; --malloc=default for glibc's defaults)`;
}

/** A benchmark's helper process (the server under load, or the simulator), driven over IPC by kind-tagged messages. */
export interface BenchChild<From extends { kind: string }, To> {
  child: ChildProcess;
  /** The next message of this kind; rejects if the child exits first. */
  next<K extends From['kind']>(kind: K): Promise<Extract<From, { kind: K }>>;
  /** Send `m`, then wait for the answer of this kind. */
  ask<K extends From['kind']>(m: To, kind: K): Promise<Extract<From, { kind: K }>>;
  /** The child ended on purpose: stop killing it when this process exits. */
  release(): void;
}

/** Fork `file` with `argv`; the child is SIGKILLed if this process exits first (it never outlives the bench). */
export function forkBenchChild<From extends { kind: string }, To>(
  file: string,
  argv: readonly string[],
  what: string,
): BenchChild<From, To> {
  const child: ChildProcess = fork(file, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: childEnv() });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const next = <K extends From['kind']>(kind: K): Promise<Extract<From, { kind: K }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: From) => {
        if (m.kind !== kind) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as Extract<From, { kind: K }>);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`${what} child exited (${code}) while waiting for "${kind}"`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return {
    child,
    next,
    ask(m, kind) {
      const reply = next(kind);
      child.send(m as object);
      return reply;
    },
    release: () => void process.removeListener('exit', kill),
  };
}

/** A server under load as a bench drives it: mark() where the measured run starts, read() what it cost, close(). */
export interface MeasuredServer<Stats> {
  url: string;
  /** The server's process id, when it runs in a child (for /proc accounting from outside it). */
  pid?: number;
  mark(): Promise<void>;
  read(): Promise<Stats>;
  close(): Promise<void>;
}

/** IPC between a bench and its server child: each request is answered by one reply of the named kind. */
type ToServer = { kind: 'mark' } | { kind: 'read' } | { kind: 'close' };
type FromServer<Stats> = { kind: 'ready'; url: string } | { kind: 'marked' } | { kind: 'stats'; stats: Stats } | { kind: 'closed' };

/** In the server child: answers the parent's mark/read/close with `server`'s, and exits when the parent is gone. */
export function serveOverIpc<Stats>(server: MeasuredServer<Stats>): void {
  const send = (m: FromServer<Stats>, then?: () => void) => process.send!(m, undefined, {}, then);
  process.on('message', (m: ToServer) => {
    const answer = async (): Promise<FromServer<Stats>> => {
      if (m.kind === 'mark') return (await server.mark(), { kind: 'marked' });
      if (m.kind === 'read') return { kind: 'stats', stats: await server.read() };
      await server.close();
      return { kind: 'closed' };
    };
    answer()
      .then((reply) => send(reply, reply.kind === 'closed' ? () => process.disconnect() : undefined))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  });
  process.on('disconnect', () => process.exit(0)); // the parent is gone: never outlive it
  send({ kind: 'ready', url: server.url });
}

/** In the bench: `file` forked with `argv` (a process that calls serveOverIpc), as the server it serves. */
export async function forkMeasuredServer<Stats>(file: string, argv: readonly string[], what: string): Promise<MeasuredServer<Stats>> {
  const { child, next, ask, release } = forkBenchChild<FromServer<Stats>, ToServer>(file, argv, what);
  const { url } = await next('ready');
  return {
    url,
    pid: child.pid,
    mark: async () => void (await ask({ kind: 'mark' }, 'marked')),
    read: async () => (await ask({ kind: 'read' }, 'stats')).stats,
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      await ask({ kind: 'close' }, 'closed');
      await exited;
      release();
    },
  };
}
