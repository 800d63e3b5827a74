// What one idle connection costs the gateway, and in what: a gateway in this
// process, holders in child processes, and a V8-format heap snapshot (Bun
// writes one too) at BASE and at BASE + N idle connections. The difference,
// divided by N, by constructor or function name, is printed as a markdown
// table with the JS heap and RSS per connection.
//
//   node_modules/.bin/bun bench/idle-heap.ts            # the runtime the bench runs the gateway on
//   node --expose-gc --import tsx bench/idle-heap.ts
//   IDLE_HEAP_N=4000 IDLE_HEAP_TOP=40 …                 # more sockets, more rows
import { randomBytes } from 'node:crypto';
import { getHeapSnapshot } from 'node:v8';
import { createGateway } from '../packages/gateway/src/index.ts';
import { deleteNamespace } from '../test/support/rabbit.ts';
import { spawnChild, sleep, type Child } from './lib/spawn.ts';

const N = Number(process.env.IDLE_HEAP_N ?? 2000);
const BASE = 100;
const TOP = Number(process.env.IDLE_HEAP_TOP ?? 30);
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
  /** object_index, script_id, line, column (Node: where each closure's function is). */
  locations?: number[];
}

// Node: a closure's script by id, so anonymous closures are told apart by where they are.
const scripts = new Map<string, string>();
const sources = new Map<string, string[]>();
let sourceOf: (scriptId: string) => Promise<string[]> = async () => [];
if (!onBun) {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  session.on('Debugger.scriptParsed', ({ params }) => scripts.set(params.scriptId, params.url));
  session.post('Debugger.enable');
  sourceOf = (scriptId) =>
    new Promise((resolve) =>
      session.post('Debugger.getScriptSource', { scriptId }, (error, result) =>
        resolve(error ? [] : (result as { scriptSource: string }).scriptSource.split('\n')),
      ),
    );
}
/** Where a closure's function starts, and its first characters (tsx puts a module on few lines). */
const placeOf = async (scriptId: number, line: number, column: number) => {
  const id = String(scriptId);
  const url = (scripts.get(id) ?? '?').replace(/^.*\/(node_modules|packages)\//, '$1/');
  if (!url.startsWith('packages/')) return `${url}:${line + 1}`;
  if (!sources.has(id)) sources.set(id, await sourceOf(id));
  const text =
    sources
      .get(id)!
      [line]?.slice(column, column + 50)
      .replace(/\s+/g, ' ') ?? '';
  return `${url} \`${text}\``;
};

const readSnapshot = async (): Promise<Snapshot> => {
  const bun = (globalThis as { Bun?: { generateHeapSnapshot(format: 'v8'): string } }).Bun;
  if (bun) return JSON.parse(bun.generateHeapSnapshot('v8')) as Snapshot;
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Snapshot;
};

/** Count and self size per `type:name` (objects by constructor, closures by function name). */
const tally = async (snap: Snapshot) => {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; bytes: number }>();
  const where = new Map<number, string>();
  const loc = snap.locations ?? [];
  for (let j = 0; j < loc.length; j += 4) {
    where.set(loc[j]!, await placeOf(loc[j + 1]!, loc[j + 2]!, loc[j + 3]!));
  }
  // Plain objects by their first property names; strings, arrays and contexts by what holds them.
  const eFields = snap.snapshot.meta.edge_fields;
  const eTypes = snap.snapshot.meta.edge_types[0];
  const eWidth = eFields.length;
  const iCount = fields.indexOf('edge_count');
  const nameOf = (i: number) => snap.strings[snap.nodes[i + iName]!]!.slice(0, 40);
  const props = new Map<number, string[]>();
  const holder = new Map<number, string>();
  for (let i = 0, e = 0; i < snap.nodes.length; i += width) {
    const count = snap.nodes[i + iCount]!;
    for (let k = 0; k < count; k++, e += eWidth) {
      const eType = eTypes[snap.edges[e]!]!;
      const to = snap.edges[e + 2]!;
      const edgeName = eType === 'element' || eType === 'hidden' ? String(snap.edges[e + 1]) : snap.strings[snap.edges[e + 1]!]!;
      if (eType === 'property' && nameOf(i) === 'Object' && types[snap.nodes[i + iType]!] === 'object') {
        const list = props.get(i) ?? [];
        if (list.length < 5) list.push(edgeName);
        props.set(i, list);
      }
      if (!holder.has(to) && eType !== 'weak' && eType !== 'shortcut')
        holder.set(to, `${nameOf(i) || types[snap.nodes[i + iType]!]}.${eType === 'element' ? '[]' : edgeName.slice(0, 24)}`);
    }
  }
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'code';
    const at = type === 'closure' ? where.get(i) : undefined;
    let key = named ? `${type}: ${snap.strings[snap.nodes[i + iName]!]!.slice(0, 60)}${at ? ` (${at})` : ''}` : type;
    if (key === 'object: Object') key += ` {${(props.get(i) ?? []).join(',')}}`;
    else if (type === 'string' || type === 'concatenated string' || type === 'array' || key.includes('system / Context') || key.includes('PropertyArray'))
      key += ` ← ${holder.get(i) ?? '?'}`;
    const size = snap.nodes[i + iSize]!;
    const row = out.get(key) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += size;
    total += size;
    out.set(key, row);
  }
  return { rows: out, total };
};

const collect = async () => {
  for (let i = 0; i < 3; i++) {
    const g = globalThis as { Bun?: { gc(full: boolean): void }; gc?: () => void };
    if (g.Bun) g.Bun.gc(true);
    else g.gc?.();
    await sleep(200);
  }
};

const namespace = `benchidleheap${randomBytes(3).toString('hex')}`;
const gateway = await createGateway({ namespace, host: '127.0.0.1', port: 0, logLevel: 'warn', maxConnectionsPerIp: 0 });
const holders: Child[] = [];
const hold = async (connections: number) => {
  const holder = spawnChild('idle holder', 'bun', 'bench/clients/idle.ts', { BENCH_SPEC: JSON.stringify({ url: gateway.url, connections }) });
  holders.push(holder);
  await holder.waitFor((line) => line.ev === 'ready', 180_000);
};
const measure = async () => {
  await sleep(3000);
  await collect();
  const rss = process.memoryUsage().rss;
  return { rss, ...(await tally(await readSnapshot())) };
};

try {
  await hold(BASE);
  const low = await measure();
  for (let left = N; left > 0; left -= 2500) await hold(Math.min(2500, left));
  const high = await measure();
  const rows = [...high.rows]
    .map(([key, h]) => {
      const l = low.rows.get(key) ?? { count: 0, bytes: 0 };
      return { key, count: (h.count - l.count) / N, bytes: (h.bytes - l.bytes) / N };
    })
    .filter((r) => Math.abs(r.count) >= 0.5 || Math.abs(r.bytes) >= 16)
    .sort((a, b) => b.bytes - a.bytes);
  const perSocket = (high.total - low.total) / N;
  console.log(`\n${onBun ? 'Bun' : 'Node'} ${onBun ? '' : process.version}: ${N} idle connections over ${BASE}`);
  console.log(
    `JS heap (snapshot self sizes) per connection: ${(perSocket / 1024).toFixed(2)} KB; RSS per connection ${((high.rss - low.rss) / N / 1024).toFixed(1)} KB\n`,
  );
  console.log('| type: constructor or function | per connection | bytes per connection |');
  console.log('| --- | ---: | ---: |');
  for (const r of rows.slice(0, TOP)) console.log(`| ${r.key.replace(/\|/g, '\\|')} | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} |`);
  const closures = rows.filter((r) => r.key.startsWith('closure')).reduce((n, r) => n + r.count, 0);
  console.log(`\nclosures per connection: ${closures.toFixed(1)}`);
} finally {
  await Promise.all(holders.map((h) => h.stop()));
  await gateway.close();
  await deleteNamespace(namespace).catch(() => {});
}
process.exit(0);
