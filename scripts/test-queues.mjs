// What the test suites leave on the broker. Each suite declares queues in a
// namespace of its own; a process a test kills, or a file that does not
// delete its namespace, leaves durable queues behind (a cancel stream, quorum
// reply and request queues), and each holds file handles in the broker. Run
// after run they add up until the broker refuses connections: seen on a
// shared machine, 448 idle queues holding 557 of its 927 handles, and every
// suite after that failing with "connect ETIMEDOUT". So `npm test` removes,
// when it ends, the queues that appeared during the run and have no consumer,
// in namespaces the run made: never a queue of a namespace that had one
// before the run (an app of yours running on the same broker keeps its new
// session queues), never the app's own namespace. WARREN_KEEP_TEST_QUEUES=1
// turns it off (two test runs at once on one broker: neither sweeps).
import { spawnSync } from 'node:child_process';

/** Name and consumer count of every queue on the local broker, or null when rabbitmqctl cannot tell. */
const listQueues = () => {
  const run = spawnSync('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'consumers'], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) return null;
  return run.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name, consumers]) => name && consumers !== undefined)
    .map(([name, consumers]) => ({ name, consumers: Number(consumers) }));
};

/** The queues there now (a snapshot for removeQueuesLeftSince), or null. */
export const queuesNow = () => {
  const queues = listQueues();
  return queues === null ? null : new Set(queues.map((q) => q.name));
};

/** A queue's namespace: what its name has before the first dot. */
const namespaceOf = (name) => name.split('.', 1)[0];

/** Deletes the idle queues that appeared since `before` in namespaces that had none then; returns how many. */
export const removeQueuesLeftSince = async (before) => {
  if (before === null || process.env.WARREN_KEEP_TEST_QUEUES === '1') return 0;
  const known = new Set([...before].map(namespaceOf));
  known.add(process.env.WARREN_NAMESPACE ?? 'warren');
  known.add('warren');
  const fresh = () => (listQueues() ?? []).filter((q) => !before.has(q.name) && q.name.includes('.') && !known.has(namespaceOf(q.name)));
  let queues = fresh();
  // A worker a suite stopped may still be closing its connection: give it a moment once.
  if (queues.some((q) => q.consumers > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    queues = fresh();
  }
  const left = queues.filter((q) => q.consumers === 0);
  if (left.length === 0) return 0;
  const { connect } = await import('amqplib');
  const model = await connect(process.env.AMQP_URL?.split(',')[0] ?? 'amqp://guest:guest@127.0.0.1:5672');
  try {
    const ch = await model.createChannel();
    for (const q of left) await ch.deleteQueue(q.name);
  } finally {
    await model.close();
  }
  return left.length;
};
