// Broker control for fault cases: every case leaves RabbitMQ running.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const ctl = (...args: string[]) => execFileSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 120_000 });
// For a case whose clients run in this process while the broker stops or
// starts: `stop_app` and `start_app` + `await_startup` take seconds on a
// loaded host, and a synchronous call would stop the clients' event loop
// meanwhile, so what they received would be timed when the call returned.
const ctlAsync = async (...args: string[]) => (await promisify(execFile)('rabbitmqctl', args, { encoding: 'utf8', timeout: 120_000 })).stdout;

export const closeAllConnections = () => ctl('close_all_connections', 'warren fault test');
export const stopApp = () => ctlAsync('stop_app');
export const startApp = async () => {
  await ctlAsync('start_app');
  await ctlAsync('await_startup', '--timeout', '60');
};
const startAppNow = () => {
  ctl('start_app');
  ctl('await_startup', '--timeout', '60');
};
export const isRunning = () => {
  try {
    ctl('-q', 'status');
    return ctl('-q', 'list_queues', 'name') !== undefined;
  } catch {
    return false;
  }
};
/** Leaves the broker running whatever a case did to it. */
export const ensureRunning = () => {
  if (!isRunning()) startAppNow();
};
export const consumersOn = (queue: string): number =>
  ctl('-q', '--no-table-headers', 'list_consumers', 'queue_name')
    .split('\n')
    .filter((line) => line.trim() === queue).length;
