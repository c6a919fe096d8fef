import { Cluster, Redis, type ClusterNode, type Command } from 'ioredis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../../core/ports.js';
import { coalescerFor } from './write-coalescer.js';

/*
 * The gateway's Redis connection, failing fast while Redis is away.
 *
 * ioredis keeps a command issued while it is disconnected in its offline queue and fails it only after
 * maxRetriesPerRequest reconnect attempts, with a message about its own options; with the reconnect backoff
 * growing to 2 s, a REST submit waited ~10 s for its 503. Here a command issued while the connection is not
 * up (connecting, reconnecting, closed) is refused at once with StoreUnavailableError ("Redis unreachable"),
 * and the errors of commands that were in flight when the connection went are renamed the same way. Every
 * user of the store (edges, workers, the report pump) gets one typed, transient error without a check of
 * its own. The handshake ioredis runs in 'connect' and a lazy client's first connect ('wait') pass through.
 * A server that stops answering on a connection still open is not detected here.
 */

/** Connection states in which a command would wait in the offline queue for a connection that may not come. */
const DOWN: ReadonlySet<string> = new Set(['connecting', 'reconnecting', 'close', 'disconnecting']);
/**
 * 'connect': the socket is open and ioredis runs its handshake (a server that accepts and never answers
 * keeps it there); only the handshake's own commands go through.
 */
const HANDSHAKE: ReadonlySet<string> = new Set(['auth', 'hello', 'client', 'select', 'info', 'ping', 'readonly', 'cluster']);

/** CONNECTION_CLOSED_ERROR_MSG of ioredis: a command failed by a connection that closed under it. */
const CONNECTION_CLOSED = 'Connection is closed.';

type Stream = Parameters<Redis['sendCommand']>[1];

/**
 * Refuses a command at once when the connection is down (true: the command is settled), else renames the
 * failure it may meet later when the connection is lost under it (false: send it).
 */
function refused(client: { readonly status: string }, command: Command): boolean {
  if (DOWN.has(client.status) || (client.status === 'connect' && !HANDSHAKE.has(command.name))) {
    command.reject(new StoreUnavailableError());
    return true;
  }
  const reject = command.reject;
  command.reject = (err: Error) => reject(isConnectionLoss(err, client.status) ? new StoreUnavailableError() : err);
  return false;
}

/** ioredis' MaxRetriesPerRequestError, or "Connection is closed." unless the client was closed on purpose (end). */
function isConnectionLoss(err: Error, status: string): boolean {
  return err.name === 'MaxRetriesPerRequestError' || (err.message === CONNECTION_CLOSED && status !== 'end');
}

/**
 * Create it with lazyConnect and connect() explicitly (createRedisClient does): until then it is 'wait'.
 * Every command goes out with the others of its turn of the event loop, in one write (write-coalescer.ts).
 */
export class FailFastRedis extends Redis {
  override sendCommand(command: Command, stream?: Stream): unknown {
    if (refused(this, command)) return command.promise;
    if (this.status === 'ready') coalescerFor(this).hold();
    return super.sendCommand(command, stream);
  }
}

export class FailFastCluster extends Cluster {
  override sendCommand(command: Command, stream?: Stream, node?: unknown): unknown {
    // Cluster's own readiness check (CLUSTER INFO) runs before it is ready.
    if (command.name !== 'cluster' && refused(this, command)) return command.promise;
    if (this.status === 'ready') coalescerFor(this).hold();
    return super.sendCommand(command, stream, node);
  }
}

export interface RedisClientConfig {
  url?: string | undefined;
  cluster?: readonly string[] | undefined;
}

/**
 * The client the config asks for (cluster seed nodes, else url), lazily connected: Store.ready() connects.
 * Connection trouble is logged as "Redis unreachable" once when it starts (and again every minute while it
 * lasts), and "Redis reachable" when it ends, rather than once per reconnect attempt.
 */
export function createRedisClient(config: RedisClientConfig, log: Logger): Redis | Cluster {
  // Commands in flight when the connection drops get a couple of reconnects to complete (their scripts
  // are idempotent or fenced); commands issued while it is down are refused at once (FailFast*).
  const redisOptions = { maxRetriesPerRequest: 2, connectTimeout: 5_000, lazyConnect: true };
  const client = config.cluster
    ? new FailFastCluster(config.cluster.map(clusterNode), { redisOptions, lazyConnect: true, scaleReads: 'master' })
    : new FailFastRedis(config.url!, redisOptions);
  let downSince: number | undefined;
  let lastLog = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (downSince === undefined || now - lastLog >= 60_000) {
      downSince ??= now;
      lastLog = now;
      log.warn({ reason: err.message, downForMs: now - downSince }, 'Redis unreachable');
    } else log.debug({ reason: err.message }, 'Redis unreachable');
  });
  client.on('ready', () => {
    if (downSince !== undefined) log.info({ downForMs: Date.now() - downSince }, 'Redis reachable');
    downSince = undefined;
  });
  return client;
}

function clusterNode(n: string): ClusterNode {
  const at = n.lastIndexOf(':');
  return { host: n.slice(0, at), port: Number(n.slice(at + 1)) };
}

/** Whether commands can go to Redis now (connected and past the handshake). */
export function isUp(client: Redis | Cluster): boolean {
  return client.status === 'ready';
}

/**
 * Whether Redis keeps an append-only file, as the servers report it (INFO persistence `aof_enabled`, which
 * managed Redis answers even where CONFIG is disabled): true only when every master has it; undefined
 * when a server would not say.
 */
export async function aofEnabled(client: Redis | Cluster): Promise<boolean | undefined> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  if (servers.length === 0) return undefined;
  let all = true;
  for (const server of servers) {
    const info = await server.info('persistence').catch(() => '');
    const m = /^aof_enabled:(\d+)/m.exec(info);
    if (!m) return undefined;
    if (m[1] !== '1') all = false;
  }
  return all;
}
