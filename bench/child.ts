import { fork, type ChildProcess } from 'node:child_process';

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
export function forkBenchChild<From extends { kind: string }, To>(file: string, argv: readonly string[], what: string): BenchChild<From, To> {
  const child: ChildProcess = fork(file, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
