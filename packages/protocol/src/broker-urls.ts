// A RabbitMQ cluster is reached through any of its nodes: every component
// takes a list of AMQP URLs (comma-separated in AMQP_URL) and moves on to the
// next one when a node is down. One parser, so the gateway and the Node
// worker accept exactly the same spellings (the Python SDK mirrors it).
import { z } from 'zod';

const AMQP_URL = /^amqps?:\/\/[^\s,]+$/;

/** Splits `amqp://a,amqp://b` (or takes an array) into trimmed, non-empty URLs. */
export const splitBrokerUrls = (value: string | readonly string[]): string[] =>
  (typeof value === 'string' ? value.split(',') : [...value]).map((url) => url.trim()).filter((url) => url.length > 0);

/**
 * Option schema for broker URLs: a comma-separated string or an array of
 * amqp:// or amqps:// URLs, at least one; parsed to an array.
 */
export const brokerUrlsSchema = z
  .union([z.string(), z.array(z.string())])
  .transform(splitBrokerUrls)
  .pipe(
    z
      .array(z.string().regex(AMQP_URL, 'each entry must be an amqp:// or amqps:// URL (several nodes: comma-separated)'))
      .min(1, 'name at least one broker URL'),
  );
