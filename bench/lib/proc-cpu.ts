/**
 * CPU time of a process read from outside it: utime + stime of /proc/<pid>/stat (fields 14 and 15, in clock
 * ticks; USER_HZ is 100 on Linux, so the resolution is 10 ms). The same reading serves the gateway child, the
 * redis-server and the bench's own process, so the three figures are comparable.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux architecture we run on). */
const USER_HZ = 100;

/** utime + stime of process `pid` so far, in µs; NaN when /proc/<pid>/stat cannot be read (not Linux, gone, other host). */
export function procCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count the fields after its ')'.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(after[11]) + Number(after[12])) * 1e6) / USER_HZ;
  } catch {
    return NaN;
  }
}

/** CPU of a set of named processes between mark() and read(), in µs each. */
export class ProcCpuMeter {
  private start = new Map<string, number>();

  constructor(private readonly pids: ReadonlyMap<string, number | undefined>) {}

  mark(): void {
    this.start = new Map([...this.pids].map(([name, pid]) => [name, pid === undefined ? NaN : procCpuUs(pid)]));
  }

  /** µs of CPU each process used since mark() (NaN where unreadable). */
  read(): Map<string, number> {
    return new Map([...this.pids].map(([name, pid]) => [name, (pid === undefined ? NaN : procCpuUs(pid)) - (this.start.get(name) ?? NaN)]));
  }
}

/** I/O of a process so far (/proc/<pid>/io): write(2)-family calls and bytes, read(2)-family calls and bytes (sockets included). */
export interface ProcIo {
  syscw: number;
  wchar: number;
  syscr: number;
  rchar: number;
}

/** /proc/<pid>/io of process `pid`; NaN fields when it cannot be read. */
export function procIo(pid: number | undefined): ProcIo {
  const io: ProcIo = { syscw: NaN, wchar: NaN, syscr: NaN, rchar: NaN };
  if (pid === undefined) return io;
  try {
    for (const m of readFileSync(`/proc/${pid}/io`, 'utf8').matchAll(/^(syscw|wchar|syscr|rchar): (\d+)$/gm))
      io[m[1] as keyof ProcIo] = Number(m[2]);
  } catch {
    // not Linux, gone, another user's, or another host
  }
  return io;
}
