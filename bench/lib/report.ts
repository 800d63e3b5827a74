// Markdown for a run: the results table, Warren's ratios to each baseline in
// the same run, and the targets of issues 8 and 16 marked met or missed, each
// beside what the AMQP floor, bare and with Warren's guarantees, reaches on it,
// and what the naive relay made durable reaches on the relay's measures.
import type { CellResult } from './cell.ts';

export interface ScaleResult {
  connections: number[];
  rssBytes: number[];
  p50: number[];
  p99: number[];
  rssPerConnectionBytes: number;
}

const n = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–';
const ms = (value: number) => (Number.isFinite(value) ? (value < 10 ? n(value, 2) : value < 100 ? n(value, 1) : n(value, 0)) : '–');
const cpu = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '–' : value < 1 ? n(value, 3) : n(value, 2));
/** Share of one core, as a percentage. */
const pct = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '–' : `${n(value * 100)} %`);
const x = (value: number) => (Number.isFinite(value) ? `${n(value, 2)}×` : '–');

export const resultsTable = (cells: CellResult[], labels: Record<string, string>): string => {
  const rows = [
    '| workload | C | system | req/s | p50 ms | p99 ms | TTFC p50 ms | chunks/s | CPU ms/req client | gateway | worker | broker | client busy | errors |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cells) {
    rows.push(
      `| ${c.workload} | ${c.concurrency} | ${labels[c.system] ?? c.system} | ${n(c.reqPerSec)} | ${ms(c.p50)} | ${ms(c.p99)} | ${ms(c.ttfcP50)} | ${c.chunksPerSec > 0 ? n(c.chunksPerSec) : '–'} | ${cpu(c.cpuPerReq.client)} | ${cpu(c.cpuPerReq.gateway)} | ${cpu(c.cpuPerReq.worker)} | ${cpu(c.cpuPerReq.broker)} | ${pct(c.cpuBusy?.client)} | ${c.errors}${c.firstError ? ` (${c.firstError.slice(0, 60)})` : ''} |`,
    );
  }
  return rows.join('\n');
};

const find = (cells: CellResult[], system: string, workload: string, c: number) =>
  cells.find((cell) => cell.system === system && cell.workload === workload && cell.concurrency === c);

export const ratiosTable = (cells: CellResult[], warrenIds: string[]): string => {
  const rows = [
    '| workload | C | Warren | req/s ÷ AMQP floor | ÷ AMQP + guarantees | ÷ BullMQ relay | ÷ naive relay | ÷ socket floor | p50 ÷ (socket p50 + AMQP p50) | chunks/s ÷ AMQP floor | ÷ BullMQ relay | gateway CPU/req ÷ socket server | ÷ naive relay |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const w of cells.filter((c) => warrenIds.includes(c.system))) {
    const amqp = find(cells, 'amqp', w.workload, w.concurrency);
    const guaranteed = find(cells, 'amqp-guarantees', w.workload, w.concurrency);
    const bull = find(cells, 'bullmq', w.workload, w.concurrency);
    const sock = find(cells, 'socket', w.workload, w.concurrency);
    const naive = find(cells, 'naive', w.workload, w.concurrency);
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : Number.NaN);
    rows.push(
      `| ${w.workload} | ${w.concurrency} | ${w.system} | ${x(ratio(w.reqPerSec, amqp?.reqPerSec))} | ${x(ratio(w.reqPerSec, guaranteed?.reqPerSec))} | ${x(ratio(w.reqPerSec, bull?.reqPerSec))} | ${x(ratio(w.reqPerSec, naive?.reqPerSec))} | ${x(ratio(w.reqPerSec, sock?.reqPerSec))} | ${x(ratio(w.p50, sock && amqp ? sock.p50 + amqp.p50 : undefined))} | ${w.chunksPerSec > 0 ? x(ratio(w.chunksPerSec, amqp?.chunksPerSec)) : '–'} | ${w.chunksPerSec > 0 ? x(ratio(w.chunksPerSec, bull?.chunksPerSec)) : '–'} | ${x(ratio(w.cpuPerReq.gateway, sock?.cpuPerReq.gateway))} | ${x(ratio(w.cpuPerReq.gateway, naive?.cpuPerReq.gateway))} |`,
    );
  }
  return rows.join('\n');
};

interface Target {
  what: string;
  goal: string;
  value: number;
  met: boolean;
  /**
   * The bare AMQP floor's own figure on the same measure, in the same run:
   * what any client of this broker reaches with Warren's durability and no
   * gateway at all. A goal beyond it cannot be met by relaying through it.
   */
  floor?: number;
  /** The same with every guarantee Warren keeps at the broker (`amqp-guarantees` in Warren's place). */
  guarantees?: number;
  /** The naive relay made durable in Warren's place (`naive-durable`): a relay with those guarantees and nothing else of Warren's. */
  relay?: number;
}

export const targets = (cells: CellResult[], scale: ScaleResult | undefined): Target[] => {
  const out: Target[] = [];
  const w = (workload: string, c: number) => find(cells, 'warren', workload, c);
  const g = (workload: string, c: number) => find(cells, 'amqp-guarantees', workload, c);
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined);
  const per = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  const add = (
    what: string,
    goal: string,
    value: number,
    met: (v: number) => boolean,
    ceilings: { floor?: number; guarantees?: number; relay?: number } = {},
  ) => {
    if (Number.isFinite(value))
      out.push({ what, goal, value, met: met(value), floor: finite(ceilings.floor), guarantees: finite(ceilings.guarantees), relay: finite(ceilings.relay) });
  };
  const d = (workload: string, c: number) => find(cells, 'naive-durable', workload, c);
  const rr64 = w('echo-100B', 64);
  const amqp64 = find(cells, 'amqp', 'echo-100B', 64);
  const bull64 = find(cells, 'bullmq', 'echo-100B', 64);
  const sock64 = find(cells, 'socket', 'echo-100B', 64);
  const g64 = g('echo-100B', 64);
  if (rr64 && amqp64)
    add('request/response C=64: Warren req/s ÷ AMQP floor', '≥ 0.6×', rr64.reqPerSec / amqp64.reqPerSec, (v) => v >= 0.6, {
      guarantees: per(g64?.reqPerSec, amqp64.reqPerSec),
    });
  // Issue 8 asked 2.5× the BullMQ relay, issue 16 1.5×: one measure, two goals.
  const rrBull = rr64 && bull64 ? rr64.reqPerSec / bull64.reqPerSec : Number.NaN;
  const ceilingsBull = { floor: per(amqp64?.reqPerSec, bull64?.reqPerSec), guarantees: per(g64?.reqPerSec, bull64?.reqPerSec) };
  add('request/response C=64: Warren req/s ÷ BullMQ relay', '≥ 2.5×', rrBull, (v) => v >= 2.5, ceilingsBull);
  const rr1 = w('echo-100B', 1);
  const amqp1 = find(cells, 'amqp', 'echo-100B', 1);
  const sock1 = find(cells, 'socket', 'echo-100B', 1);
  const g1 = g('echo-100B', 1);
  if (rr1 && amqp1 && sock1)
    add('request/response C=1: Warren p50 ÷ (socket p50 + AMQP p50)', '≤ 1.5×', rr1.p50 / (amqp1.p50 + sock1.p50), (v) => v <= 1.5, {
      guarantees: per(g1?.p50, amqp1.p50 + sock1.p50),
    });
  for (const stream of ['stream-10', 'stream-1000']) {
    const ws = w(stream, 64);
    const as = find(cells, 'amqp', stream, 64);
    if (ws && as)
      add(`${stream} C=64: Warren chunks/s ÷ AMQP floor`, '≥ 0.8×', ws.chunksPerSec / as.chunksPerSec, (v) => v >= 0.8, {
        guarantees: per(g(stream, 64)?.chunksPerSec, as.chunksPerSec),
      });
  }
  if (rr64 && sock64) {
    add('echo-100B C=64: gateway CPU/req ÷ bare Socket.IO server', '≤ 3×', rr64.cpuPerReq.gateway! / sock64.cpuPerReq.gateway!, (v) => v <= 3);
  }
  // Issue 16: with every guarantee on, against the BullMQ relay and the naive relay.
  const naive64 = find(cells, 'naive', 'echo-100B', 64);
  add('issue 16: request/response C=64: Warren req/s ÷ BullMQ relay', '≥ 1.5×', rrBull, (v) => v >= 1.5, {
    ...ceilingsBull,
    relay: per(d('echo-100B', 64)?.reqPerSec, bull64?.reqPerSec),
  });
  const s64 = w('stream-10', 64);
  const bullS64 = find(cells, 'bullmq', 'stream-10', 64);
  const amqpS64 = find(cells, 'amqp', 'stream-10', 64);
  if (s64 && bullS64)
    add('issue 16: stream-10 C=64: Warren chunks/s ÷ BullMQ relay', '≥ 1.5×', s64.chunksPerSec / bullS64.chunksPerSec, (v) => v >= 1.5, {
      floor: per(amqpS64?.chunksPerSec, bullS64.chunksPerSec),
      guarantees: per(g('stream-10', 64)?.chunksPerSec, bullS64.chunksPerSec),
      relay: per(d('stream-10', 64)?.chunksPerSec, bullS64.chunksPerSec),
    });
  if (rr1)
    add('issue 16: request/response C=1: Warren p50 (ms)', '≤ 1.0 ms', rr1.p50, (v) => v <= 1, {
      floor: amqp1?.p50,
      guarantees: g1?.p50,
      relay: d('echo-100B', 1)?.p50,
    });
  if (rr64 && naive64) {
    add('issue 16: echo-100B C=64: gateway CPU/req ÷ naive relay gateway', '≤ 2×', rr64.cpuPerReq.gateway! / naive64.cpuPerReq.gateway!, (v) => v <= 2, {
      relay: per(d('echo-100B', 64)?.cpuPerReq.gateway, naive64.cpuPerReq.gateway),
    });
  }
  const mb64 = w('echo-1MB', 64);
  const amqpMb64 = find(cells, 'amqp', 'echo-1MB', 64);
  if (mb64 && amqpMb64)
    add('issue 16: echo-1MB C=64: Warren req/s ÷ AMQP floor', '≥ 0.8×', mb64.reqPerSec / amqpMb64.reqPerSec, (v) => v >= 0.8, {
      guarantees: per(g('echo-1MB', 64)?.reqPerSec, amqpMb64.reqPerSec),
    });
  // Issue 16: the fast lane against the naive relay (no guarantees either).
  for (const workload of ['echo-100B', 'stream-10']) {
    const fast = find(cells, 'warren-fast', workload, 64);
    const naive = find(cells, 'naive', workload, 64);
    const per = (c: CellResult) => (workload === 'echo-100B' ? c.reqPerSec : c.chunksPerSec);
    if (fast && naive)
      add(
        `issue 16: fast lane ${workload} C=64: ${workload === 'echo-100B' ? 'req/s' : 'chunks/s'} ÷ naive relay`,
        '≥ 0.8×',
        per(fast) / per(naive),
        (v) => v >= 0.8,
      );
  }
  if (scale) {
    add(`${n(scale.connections.at(-1)!)} idle connections: gateway RSS per connection (KB)`, '≤ 25 KB', scale.rssPerConnectionBytes / 1024, (v) => v <= 25);
    add(
      `issue 16: ${n(scale.connections.at(-1)!)} idle connections: gateway RSS per connection (KB)`,
      '≤ 20 KB',
      scale.rssPerConnectionBytes / 1024,
      (v) => v <= 20,
    );
    add(`p99 at ${n(scale.connections.at(-1)!)} connected ÷ p99 at ${n(scale.connections[0]!)}`, '≤ 1.3×', scale.p99.at(-1)! / scale.p99[0]!, (v) => v <= 1.3);
  }
  return out;
};

export const targetsTable = (list: Target[]): string => {
  const shown = (t: Target, v: number) => (t.what.includes('KB') ? n(v, 1) : t.what.includes('(ms)') ? ms(v) : x(v));
  return [
    "| target | goal | this run | | the AMQP floor, same measure | the AMQP floor with Warren's guarantees | the naive relay made durable |",
    '| --- | --- | ---: | --- | ---: | ---: | ---: |',
    ...list.map((t) => {
      const ceiling = (v: number | undefined) => (v === undefined ? '–' : shown(t, v));
      return `| ${t.what} | ${t.goal} | ${shown(t, t.value)} | ${t.met ? 'met' : '**missed**'} | ${ceiling(t.floor)} | ${ceiling(t.guarantees)} | ${ceiling(t.relay)} |`;
    }),
  ].join('\n');
};

export const scaleTable = (scale: ScaleResult): string =>
  [
    '| connected sockets | gateway RSS MB | probe p50 ms | probe p99 ms |',
    '| ---: | ---: | ---: | ---: |',
    ...scale.connections.map((c, i) => `| ${n(c)} | ${n(scale.rssBytes[i]! / 1048576, 1)} | ${ms(scale.p50[i]!)} | ${ms(scale.p99[i]!)} |`),
    '',
    `RSS per idle connection: ${n(scale.rssPerConnectionBytes / 1024, 1)} KB (growth from ${n(scale.connections[0]!)} to ${n(scale.connections.at(-1)!)} connections).`,
  ].join('\n');
