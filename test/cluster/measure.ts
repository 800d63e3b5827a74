// Measurements on a private 3-node cluster (test/support/cluster.ts), run by
// hand: `node --import tsx test/cluster/measure.ts`. Prints markdown for
// docs/decisions/0010-measurements.md. Not part of npm test.
//
// a. What a confirmed, mandatory publish to the default exchange reports
//    when the target queue's node is stopped or killed (classic and quorum),
//    and when the queue does not exist.
// b. What a quorum reply queue costs next to a classic one: declare latency,
//    broker memory, and confirmed publish→consume throughput.
// c. Which publishers a quorum queue nacks after its leader's kill -9, by
//    when their channel or connection was opened (--all-histories: after the
//    queue first lived through a node's stop/kill).
// Pick parts with --only-a, --only-b or --only-c.
import { connect as amqpConnect, type ConfirmChannel } from 'amqplib';
import { startCluster, sleep, type Cluster } from '../support/cluster.ts';

// Connections to a node we kill die with ECONNRESET: an 'error' without a
// listener would end the process.
const connect = async (url: string) => {
  const model = await amqpConnect(url);
  model.on('error', () => {});
  return model;
};

type Verdict = { outcome: 'ack' | 'nack' | 'returned' | 'returned+ack' | 'returned+nack' | 'no answer' | 'channel error'; ms: number; detail?: string };

/** One confirmed mandatory publish; waits up to `limitMs` for the broker's answer. */
const probePublish = async (ch: ConfirmChannel, queue: string, limitMs = 15_000): Promise<Verdict> => {
  const started = Date.now();
  let returned = false;
  const onReturn = (msg: { fields: { routingKey: string; replyText?: string } }) => {
    if (msg.fields.routingKey === queue) returned = true;
  };
  ch.on('return', onReturn);
  try {
    const confirmed = await new Promise<'ack' | 'nack' | 'no answer' | 'channel error'>((resolve) => {
      const onClose = () => resolve('channel error');
      const timer = setTimeout(() => {
        ch.off('close', onClose);
        resolve('no answer');
      }, limitMs);
      ch.once('close', onClose);
      try {
        ch.publish('', queue, Buffer.from('probe'), { mandatory: true, persistent: true }, (err) => {
          clearTimeout(timer);
          ch.off('close', onClose);
          resolve(err ? 'nack' : 'ack');
        });
      } catch {
        clearTimeout(timer);
        ch.off('close', onClose);
        resolve('channel error');
      }
    });
    const ms = Date.now() - started;
    // A basic.return precedes its basic.ack on the wire; give it a moment anyway.
    await sleep(50);
    const outcome = returned ? (confirmed === 'ack' ? 'returned+ack' : confirmed === 'nack' ? 'returned+nack' : 'returned') : confirmed;
    return { outcome, ms };
  } finally {
    ch.off('return', onReturn);
  }
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const memoryTotal = async (cluster: Cluster) => {
  let sum = 0;
  for (let i = 0; i < cluster.nodes.length; i++) {
    // Collect garbage first so the figure is the live heap, not the last spike.
    sum += Number((await cluster.ctl(i, 'eval', '[erlang:garbage_collect(P) || P <- erlang:processes()], erlang:memory(total).')).trim());
  }
  return sum;
};

const waitOnline = async (cluster: Cluster, queue: string, count: number, limitMs = 60_000) => {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if ((await cluster.queueOnline(queue)).length >= count) return;
    await sleep(500);
  }
  throw new Error(`${queue} did not get ${count} members online`);
};

const rows: string[] = [];
const row = (...cells: (string | number)[]) => {
  const line = `| ${cells.join(' | ')} |`;
  rows.push(line);
  console.log(line);
};

const partA = async (cluster: Cluster) => {
  console.log('\n## a. confirmed mandatory publish when the queue is unreachable\n');
  row('target', 'fault', 'publisher on', 'broker answers to probes every 25 ms from the fault on', 'slowest answer, ms');
  row('---', '---', '---', '---', '---');
  // The publisher sits on node 1; the queues live on (or are led from) node 2.
  const admin = await connect(cluster.nodes[1]!.url);
  const adminCh = await admin.createChannel();
  await adminCh.assertQueue('m.classic', { durable: true });
  await adminCh.assertQueue('m.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await admin.close();
  const home = await cluster.queueLeader('m.classic');
  const leader = await cluster.queueLeader('m.quorum');
  console.log(`classic home node ${home + 1}, quorum leader node ${leader + 1}`);

  // A publisher on a node the fault does not touch.
  const publisher = async (avoid: number) => {
    const at = avoid === 0 ? 1 : 0;
    const model = await connect(cluster.nodes[at]!.url);
    return { model, ch: await model.createConfirmChannel(), label: `node ${at + 1}` };
  };
  {
    const { model, ch, label } = await publisher(home);
    row('classic durable', 'none (baseline)', label, (await probePublish(ch, 'm.classic')).outcome, '');
    row('quorum', 'none (baseline)', label, (await probePublish(ch, 'm.quorum')).outcome, '');
    const missing = await probePublish(ch, 'm.does-not-exist');
    row('queue that does not exist', 'none', label, missing.outcome, missing.ms);
    await model.close();
  }

  // Each fault: probes every 25 ms from the moment the fault command is
  // issued until 3 s after it returned, so the answers during the transition
  // are seen too (stop_app takes a while; kill -9 is instant).
  const during = async (fault: Promise<unknown>, ch: ConfirmChannel, queue: string, untilAck: boolean) => {
    const seen: (Verdict & { at: number })[] = [];
    let doneAt = 0;
    const startedAt = Date.now();
    void fault.then(() => (doneAt = Date.now()));
    const until = startedAt + 20_000;
    // Until 3 s after the fault command returned and the answers are acks again (or 45 s).
    while (Date.now() < until && (!doneAt || Date.now() - doneAt < 3000 || (untilAck && seen.at(-1)?.outcome !== 'ack'))) {
      const at = Date.now();
      seen.push({ ...(await probePublish(ch, queue, 30_000)), at });
      await sleep(25);
    }
    await fault;
    const tally = new Map<string, number>();
    for (const v of seen) tally.set(v.outcome, (tally.get(v.outcome) ?? 0) + 1);
    const answer = [...tally].map(([k, n]) => `${k} ×${n}`).join(', ');
    const lastBad = seen.findLastIndex((v) => v.outcome !== 'ack');
    const acksAgain =
      lastBad >= 0 && lastBad < seen.length - 1
        ? `acks again ${seen[lastBad + 1]!.at - startedAt} ms after the fault began`
        : lastBad < 0
          ? 'acked throughout'
          : untilAck
            ? 'not acked again within 20 s'
            : 'not acked again while the node was down';
    return { answer: `${answer}; ${acksAgain}`, maxMs: Math.max(...seen.map((v) => v.ms)) };
  };

  for (const fault of ['stop_app', 'kill -9'] as const) {
    // Classic durable queue whose home node goes away.
    const home = await cluster.queueLeader('m.classic');
    const p1 = await publisher(home);
    const c = await during(fault === 'stop_app' ? cluster.stopApp(home) : cluster.kill9(home), p1.ch, 'm.classic', false);
    row('classic durable', `home node ${fault}`, p1.label, c.answer, `max ${c.maxMs}`);
    await p1.model.close().catch(() => {});
    if (fault === 'stop_app') await cluster.startApp(home);
    else await cluster.restart(home);
    await waitOnline(cluster, 'm.quorum', 3);

    // Quorum queue whose leader goes away, published to from another node.
    const lead = await cluster.queueLeader('m.quorum');
    const p2 = await publisher(lead);
    const q = await during(fault === 'stop_app' ? cluster.stopApp(lead) : cluster.kill9(lead), p2.ch, 'm.quorum', true);
    const newLeader = await cluster.queueLeader('m.quorum');
    row('quorum', `leader node ${fault}`, p2.label, q.answer, `max ${q.maxMs}`);
    console.log(`  leader node ${lead + 1} → node ${newLeader + 1}`);
    if (!q.answer.endsWith('acked throughout') && !q.answer.includes('acks again')) {
      // Is it the channel or the queue? Ask again on a new channel, then a new connection.
      const ch3 = await p2.model.createConfirmChannel();
      row('quorum', '… then a new channel on the same connection', p2.label, (await probePublish(ch3, 'm.quorum')).outcome, '');
      const p3 = await publisher(lead);
      row('quorum', '… then a new connection', p3.label, (await probePublish(p3.ch, 'm.quorum')).outcome, '');
      await p3.model.close();
    }
    await p2.model.close().catch(() => {});
    if (fault === 'stop_app') await cluster.startApp(lead);
    else await cluster.restart(lead);
    await waitOnline(cluster, 'm.quorum', 3);
  }
  const cleanup = await connect(cluster.nodes[0]!.url);
  const cch = await cleanup.createChannel();
  await cch.deleteQueue('m.classic');
  await cch.deleteQueue('m.quorum');
  await cleanup.close();
};

const partB = async (cluster: Cluster) => {
  console.log('\n## b. quorum vs classic reply queues\n');
  const model = await connect(cluster.nodes[0]!.url);
  const ch = await model.createChannel();
  const N = 300;
  const results: Record<string, { p50: number; p99: number; memMB: number; perQueueKB: number; seconds: number }> = {};
  for (const type of ['classic', 'quorum'] as const) {
    const before = await memoryTotal(cluster);
    const lat: number[] = [];
    const started = Date.now();
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await ch.assertQueue(`m.${type}.${i}`, {
        durable: true,
        arguments: { 'x-expires': 300_000, ...(type === 'quorum' ? { 'x-queue-type': 'quorum' } : {}) },
      });
      lat.push(performance.now() - t);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(3000);
    const after = await memoryTotal(cluster);
    results[type] = { p50: pct(lat, 50), p99: pct(lat, 99), memMB: (after - before) / 2 ** 20, perQueueKB: (after - before) / N / 1024, seconds };
  }
  row('queue type (×300, 3 nodes)', 'declare p50 ms', 'declare p99 ms', 'declare all, s', 'memory Δ, sum of 3 nodes, MB', 'per queue, KB');
  row('---', '---', '---', '---', '---', '---');
  for (const [type, r] of Object.entries(results))
    row(type, r.p50.toFixed(1), r.p99.toFixed(1), r.seconds.toFixed(1), r.memMB.toFixed(1), r.perQueueKB.toFixed(0));
  for (const type of ['classic', 'quorum']) for (let i = 0; i < N; i++) await ch.deleteQueue(`m.${type}.${i}`);
  await model.close();

  // Throughput: 5,000 persistent 200-byte messages with confirms, consumed
  // (manual ack, prefetch 500) on another connection at the same time.
  row('');
  row('one queue, 5,000 × 200 B persistent, confirms', 'publish→all consumed, s', 'msg/s', 'all confirmed, s');
  row('---', '---', '---', '---');
  const body = Buffer.alloc(200, 'x');
  for (const type of ['classic', 'quorum'] as const) {
    const queue = `m.tp.${type}`;
    const pm = await connect(cluster.nodes[0]!.url);
    const cm = await connect(cluster.nodes[0]!.url);
    const pch = await pm.createConfirmChannel();
    await pch.assertQueue(queue, { durable: true, arguments: type === 'quorum' ? { 'x-queue-type': 'quorum' } : {} });
    const cch = await cm.createChannel();
    await cch.prefetch(500);
    const total = 5000;
    let got = 0;
    const consumed = new Promise<void>((resolve) => {
      void cch.consume(queue, (msg) => {
        if (!msg) return;
        cch.ack(msg);
        got += 1;
        if (got === total) resolve();
      });
    });
    const started = Date.now();
    // Bounded window of unconfirmed messages, as a real publisher would keep.
    let confirmed = 0;
    let inFlight = 0;
    let confirmedAt = 0;
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      const pump = () => {
        while (inFlight < 500 && sent < total) {
          inFlight += 1;
          sent += 1;
          pch.publish('', queue, body, { persistent: true }, (err) => {
            if (err) return reject(err);
            inFlight -= 1;
            confirmed += 1;
            if (confirmed === total) {
              confirmedAt = Date.now();
              resolve();
            } else pump();
          });
        }
      };
      pump();
    });
    await Promise.race([consumed, sleep(120_000)]);
    const seconds = (Date.now() - started) / 1000;
    row(type, seconds.toFixed(2), Math.round(got / seconds), ((confirmedAt - started) / 1000).toFixed(2));
    await pch.deleteQueue(queue);
    await pm.close();
    await cm.close();
  }
};

// c. After kill -9 of a quorum queue's leader: which confirm channels on the
//    surviving nodes get nacks, and for how long? One publisher on each
//    surviving node, with a channel opened before the kill and one 5 s after.
const partC = async (cluster: Cluster) => {
  console.log('\n## c. nack windows after kill -9 of a quorum leader\n');
  row(
    'queue lived through',
    'publisher on',
    'new leader',
    'channel opened',
    'nacks',
    'acks',
    'last nack, ms after kill',
    'per second after the kill (n = nacks, a = some ack)',
  );
  row('---', '---', '---', '---', '---', '---', '---', '---');
  // What the queue lived through before its leader is killed.
  const histories: [string, (queue: string) => Promise<void>][] = [
    ['none', async () => {}],
    [
      'its leader stop_app + start_app',
      async (queue) => {
        const l = await cluster.queueLeader(queue);
        await cluster.stopApp(l);
        await cluster.startApp(l);
      },
    ],
    [
      'a follower kill -9 + restart',
      async (queue) => {
        const l = await cluster.queueLeader(queue);
        const f = (l + 1) % 3;
        await cluster.kill9(f);
        await cluster.restart(f);
      },
    ],
    [
      'its leader kill -9 + restart',
      async (queue) => {
        const l = await cluster.queueLeader(queue);
        await cluster.kill9(l);
        await sleep(2000);
        await cluster.restart(l);
      },
    ],
  ];
  const rounds = process.argv.includes('--all-histories') ? histories.length : 1;
  for (let round = 1; round <= rounds; round++) {
    const [history, live] = histories[round - 1]!;
    const queue = `m.qc.${round}`;
    // Shaped like a session reply queue: x-expires, and consumed (manual
    // ack, prefetch 256, acks held back a little) from the leader's node, as
    // the gateway does; the consumer dies with the node.
    const decl = await connect(cluster.nodes[(round - 1) % 3]!.url);
    await (await decl.createChannel()).assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-expires': 300_000 } });
    await decl.close();
    await waitOnline(cluster, queue, 3);
    await live(queue);
    await waitOnline(cluster, queue, 3);
    const lead = await cluster.queueLeader(queue);
    const consumer = await connect(cluster.nodes[lead]!.url);
    {
      const cch = await consumer.createChannel();
      cch.on('error', () => {});
      await cch.prefetch(256);
      await cch.consume(queue, (m) => {
        if (m)
          setTimeout(() => {
            try {
              cch.ack(m);
            } catch {
              /* channel gone with the node */
            }
          }, 200);
      });
    }
    const survivors = [0, 1, 2].filter((i) => i !== lead);
    let killAt = 0;
    let stop = false;
    type Stat = { node: number; label: string; nacks: number; acks: number; last: number; buckets: string[] };
    const stats: Stat[] = [];
    // A channel opened `openAfterMs` after the kill (≤ 0: before it); with
    // `firstAfterKill`, it publishes nothing to the queue before the kill.
    const publishLoop = async (node: number, model: Awaited<ReturnType<typeof connect>> | null, label: string, openAfterMs: number, firstAfterKill = false) => {
      while (openAfterMs >= 0 && (!killAt || Date.now() - killAt < openAfterMs)) await sleep(1);
      // null: a new connection, made when the channel is due.
      const conn = model ?? (await connect(cluster.nodes[node]!.url));
      if (!model) extra.push(conn);
      const ch = await conn.createConfirmChannel();
      while (firstAfterKill && !killAt) await sleep(1);
      const s: Stat = { node, label, nacks: 0, acks: 0, last: -1, buckets: [] };
      stats.push(s);
      while (!stop) {
        const v = await probePublish(ch, queue, 10_000);
        if (killAt) {
          const t = Date.now() - killAt;
          const b = Math.floor(t / 1000);
          const cur = s.buckets[b] ?? '';
          if (v.outcome === 'ack') {
            s.acks += 1;
            if (!cur.includes('a')) s.buckets[b] = `${cur}a`;
          } else {
            s.nacks += 1;
            s.last = t;
            s.buckets[b] = `n${cur}`;
          }
        }
        await sleep(25);
      }
    };
    const models = await Promise.all(survivors.map((i) => connect(cluster.nodes[i]!.url)));
    const extra: Awaited<ReturnType<typeof connect>>[] = [];
    const loops = survivors.flatMap((node, k) => [
      publishLoop(node, models[k]!, 'before the kill', -1),
      publishLoop(node, models[k]!, 'before the kill, first publish right after it', -1, true),
      publishLoop(node, null, 'new connection right after the kill', 0),
      publishLoop(node, null, 'new connection 1 s after the kill', 1000),
      publishLoop(node, models[k]!, '1 s after the kill', 1000),
      publishLoop(node, models[k]!, '5 s after the kill', 5000),
    ]);
    await sleep(1000);
    await cluster.kill9(lead);
    killAt = Date.now();
    await sleep(15_000);
    stop = true;
    await Promise.all(loops);
    const newLeader = await cluster.queueLeader(queue);
    for (const s of stats.sort((a, b) => a.node - b.node)) {
      const shape = Array.from({ length: 16 }, (_, i) => {
        const b = s.buckets[i] ?? '';
        const n = b.split('n').length - 1;
        return `${n ? `n${n}` : ''}${b.includes('a') ? 'a' : ''}` || '-';
      }).join(' ');
      row(history, `node ${s.node + 1}`, `node ${newLeader + 1}`, s.label, s.nacks, s.acks, s.last, shape);
    }
    for (const m of [...models, ...extra]) await m.close().catch(() => {});
    await cluster.restart(lead);
    await waitOnline(cluster, queue, 3);
    const del = await connect(cluster.nodes[0]!.url);
    await (await del.createChannel()).deleteQueue(queue);
    await del.close();
  }
};

const main = async () => {
  const t0 = Date.now();
  const cluster = await startCluster({ log: (l) => console.log(`[cluster] ${l}`) });
  try {
    console.log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${cluster.urls.join(',')}`);
    if (!process.argv.includes('--only-b') && !process.argv.includes('--only-c')) await partA(cluster);
    if (!process.argv.includes('--only-a') && !process.argv.includes('--only-c')) await partB(cluster);
    if (!process.argv.includes('--only-a') && !process.argv.includes('--only-b')) await partC(cluster);
  } finally {
    await cluster.close();
    console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
