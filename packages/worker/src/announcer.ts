// Registry heartbeat: announce what this worker serves at start, every
// `heartbeatMs`, and right after a reconnect; withdraw on close. A failed
// announcement is only logged: serving requests never depends on the registry.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { contractJsonSchemas, PROTOCOL_VERSION, type Announce, type Contract, type TypeAnnouncement } from '@warren/protocol';
import type { RegistryTransport } from '@warren/transport';
import { SDK_VERSION } from './sdk-version.ts';

interface AnnouncerConfig {
  service: string;
  instanceId: string;
  concurrency: number;
  heartbeatMs: number;
  ttlMs: number;
  types: TypeAnnouncement[];
}

export interface Announcer {
  readonly instanceId: string;
  /** Stops the heartbeat and tells gateways this instance is gone. */
  withdraw(): Promise<void>;
}

export const defaultInstanceId = (service: string): string => `${service}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** What one type is announced as: its contract's JSON Schemas, or just its name. */
export const typeAnnouncement = (type: string, contract: Contract | undefined): TypeAnnouncement =>
  contract === undefined ? { type } : { type, ...contractJsonSchemas(contract) };

const buildAnnouncement = (config: AnnouncerConfig, startedAt: number, now: number): Announce => ({
  kind: 'announce',
  protocolVersion: PROTOCOL_VERSION,
  service: config.service,
  instanceId: config.instanceId,
  language: 'typescript',
  sdkVersion: SDK_VERSION,
  concurrency: config.concurrency,
  heartbeatMs: config.heartbeatMs,
  ttlMs: config.ttlMs,
  startedAt,
  sentAt: now,
  types: config.types,
});

/** A withdrawal must not hold up shutdown when the broker does not answer; TTL covers it then. */
const WITHDRAW_TIMEOUT_MS = 2000;

const within = (promise: Promise<unknown>, ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });

export const startAnnouncer = (transport: RegistryTransport, log: Logger, config: AnnouncerConfig, now = Date.now): Announcer => {
  const startedAt = now();
  let stopped = false;
  let failing = false;
  let last: Promise<void> = Promise.resolve();

  const send = () => {
    if (stopped) return;
    last = transport.announce(buildAnnouncement(config, startedAt, now())).then(
      () => {
        if (failing) log.info('registry announcement sent again');
        failing = false;
      },
      (error: unknown) => {
        // Once per outage, not once per heartbeat.
        if (!failing) log.warn({ err: (error as Error).message }, 'registry announcement failed; retrying on the next heartbeat');
        failing = true;
      },
    );
  };

  send();
  const timer = setInterval(send, config.heartbeatMs);
  timer.unref?.();
  // Gateways that lost us during an outage should not wait for the next beat.
  const offStatus = transport.onStatus((status) => {
    if (status === 'connected') send();
  });

  return {
    instanceId: config.instanceId,
    async withdraw() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      offStatus();
      const withdrawal = (async () => {
        await last; // a heartbeat still in flight must not land after the withdrawal
        await transport.announce({
          kind: 'withdraw',
          protocolVersion: PROTOCOL_VERSION,
          service: config.service,
          instanceId: config.instanceId,
          sentAt: now(),
        });
      })().catch((error: unknown) => log.warn({ err: (error as Error).message }, 'registry withdrawal failed; gateways will expire this instance'));
      await within(withdrawal, WITHDRAW_TIMEOUT_MS);
    },
  };
};
