// CPU time and memory of a process, read from /proc (Linux only): the
// harness charges each process the CPU it spent during a measured window.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of utime/stime; 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

/** utime + stime of every thread of `pid`, in milliseconds; NaN when it is gone. */
export const cpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
};

/** Resident set size in bytes; NaN when it is gone. */
export const rssBytes = (pid: number): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
};

/** The pid of a running program by name (the broker, Redis), or undefined. Read-only: never signalled. */
export const pidOf = (program: string): number | undefined => {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // comm is cut at 15 characters; the executable's name in cmdline is not.
      const argv0 = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (argv0 === program || argv0.endsWith(`/${program}`) || argv0.startsWith(`${program} `)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
};

/**
 * The pid of the process listening on a loopback/any TCP port (the broker on
 * 5672, Redis on 6379), or undefined. A name alone is ambiguous when other
 * work runs brokers of its own (a private cluster, rabbitmqctl's own
 * beam.smp); the listener is the one this run talks to. Read-only.
 */
export const pidListeningOn = (port: number): number | undefined => {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the inode.
      if (f.length > 9 && f[3] === '0A' && Number.parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
};

export type CpuSnapshot = Map<string, number>;

export const snapshot = (pids: Record<string, number>): CpuSnapshot => new Map(Object.entries(pids).map(([role, pid]) => [role, cpuMs(pid)]));

/** CPU ms each role spent between two snapshots. */
export const cpuDelta = (before: CpuSnapshot, after: CpuSnapshot): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [role, start] of before) out[role] = (after.get(role) ?? Number.NaN) - start;
  return out;
};
