// The AMQP request vectors of packages/protocol/spec/v<N>/vectors, checked with the
// transport's decoder (the rest are checked in protocol's vectors.test.ts).
import type { ConsumeMessage } from 'amqplib';
import { topology } from '@warren/protocol';
import { type AmqpInput, describeVectors, fromParsed, VECTOR_FILES } from '../../protocol/test/vector-runner.ts';
import { decodeRequest } from '../src/amqp/codec.ts';

const amqpMessage = (input: AmqpInput): ConsumeMessage =>
  ({
    content: Buffer.concat([
      input.bodyBase64 !== undefined
        ? Buffer.from(input.bodyBase64, 'base64')
        : Buffer.from(input.bodyNested !== undefined ? '['.repeat(input.bodyNested) + ']'.repeat(input.bodyNested) : (input.body ?? ''), 'utf8'),
      Buffer.alloc(input.bodyPadBytes ?? 0, ' '),
    ]),
    properties: { ...input.properties, headers: input.headers },
    fields: { routingKey: input.routingKey, redelivered: input.redelivered },
  }) as unknown as ConsumeMessage;

describeVectors(
  'conformance vectors (TypeScript, AMQP)',
  Object.entries(VECTOR_FILES).flatMap(([name, by]) => (by === 'transport' ? [name] : [])),
  {
    amqpRequest: (v, file) =>
      fromParsed(decodeRequest(topology(file.namespace), amqpMessage(v.message!), { fast: v.message!.fast === true }), ({ request, attempt }) => ({
        id: request.id,
        type: request.type,
        session: request.session,
        payload: request.payload,
        deadline: request.deadline ?? null,
        principal: request.principal ?? null,
        traceparent: request.traceparent ?? null,
        attempt,
        ...(request.fast ? { fast: true } : {}),
      })),
  },
);
