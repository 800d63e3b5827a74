// Broker control for fault cases: every case leaves RabbitMQ running.
import { execFileSync } from 'node:child_process';

const ctl = (...args: string[]) => execFileSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 120_000 });

export const closeAllConnections = () => ctl('close_all_connections', 'warren fault test');
export const stopApp = () => ctl('stop_app');
export const startApp = () => {
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
  if (!isRunning()) startApp();
};
export const consumersOn = (queue: string): number =>
  ctl('-q', '--no-table-headers', 'list_consumers', 'queue_name')
    .split('\n')
    .filter((line) => line.trim() === queue).length;
