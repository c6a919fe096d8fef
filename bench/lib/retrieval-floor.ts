/**
 * The floor of an MM1 retrieval on this host: the same I/O as the gateway's retrieval (an answer of the
 * m-retrieve-conf's size read from Redis with one MGET for the reads of a turn, as `Queue.retrieval` reads
 * content, and written to the handset's keep-alive connection) with none of the gateway's own work: no token,
 * message record, states, adaptation, PDU encoding, metrics or logs. `bench/mm1.ts --phases=floor` runs it
 * under the retrieval phase's load; its server CPU per answer is what no change to the gateway's code can go
 * below (the kernel's copies and TCP on loopback, node:http, ioredis), so a retrieval target can be held
 * against it.
 *
 * This file is also the floor server itself, run as a child with `--redis=URL --prefix=P` (see forkFloorServer).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { forkMeasuredServer, serveOverIpc, type MeasuredServer } from './child.js';
import { Batcher } from '../../src/store/redis/batcher.js';
import { countsSince, processMeter, type ProcessStats } from './measure.js';

export interface FloorStats extends ProcessStats {
  /** Answers by "floor <HTTP status>" over the measured run (the shape bench/mm1.ts reports). */
  requests: Record<string, number>;
}

/** The key of answer `i` under `prefix` (the bench writes them before the run). */
export const floorKey = (prefix: string, i: number) => `${prefix}:floor:${i}`;

/** The floor server in a child process, as the server a bench measures. */
export function forkFloorServer(redisUrl: string, prefix: string, profileDir?: string): Promise<MeasuredServer<FloorStats>> {
  const argv = [`--redis=${redisUrl}`, `--prefix=${prefix}`];
  if (profileDir) argv.push(`--profile-dir=${profileDir}`);
  return forkMeasuredServer<FloorStats>(fileURLToPath(import.meta.url), argv, 'retrieval floor');
}

async function serve(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const prefix = arg('prefix')!;
  const profileDir = arg('profile-dir');
  const redis = new Redis(arg('redis')!, { maxRetriesPerRequest: 2 });

  // The reads of one turn in one MGET, as the gateway's Queue reads contents (the same Batcher).
  const reads = new Batcher<string, Buffer | null>((_, keys) => redis.mgetBuffer(...keys));
  const read = (key: string) => reads.add('', key);

  const answered = new Map<string, number>();
  const count = (status: number) => answered.set(`floor ${status}`, (answered.get(`floor ${status}`) ?? 0) + 1);
  const server = createServer((req, res) => {
    const m = /^\/f\/(\d+)$/.exec(req.url ?? '');
    if (!m) {
      count(404);
      res.writeHead(404).end();
      return;
    }
    read(floorKey(prefix, Number(m[1]))).then(
      (body) => {
        if (!body) {
          count(404);
          res.writeHead(404).end();
          return;
        }
        count(200);
        res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': body.length });
        res.end(body);
      },
      () => {
        count(503);
        res.writeHead(503).end();
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const meter = processMeter(profileDir ? { dir: profileDir, name: 'retrieval-floor' } : undefined);
  let answered0 = new Map<string, number>();
  serveOverIpc<FloorStats>({
    url,
    async mark() {
      answered0 = new Map(answered);
      await meter.mark();
    },
    async read() {
      return { ...(await meter.read()), requests: countsSince(answered, answered0) };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await redis.quit();
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serve();
