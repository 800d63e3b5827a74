// `warren call type -` and `warren call type @file`: the payload read from
// stdin or a file, for payloads too large (or too awkward to quote) for argv.
import { readFile } from 'node:fs/promises';

type PayloadFrom = { stdin: true } | { file: string };

const readStream = async (stream: AsyncIterable<Buffer | string>): Promise<string> => {
  let text = '';
  for await (const part of stream) text += typeof part === 'string' ? part : part.toString('utf8');
  return text;
};

/** The payload as JSON, or a usage error naming where it came from. */
export const readPayload = async (
  from: PayloadFrom,
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<{ ok: true; payload: unknown } | { ok: false; message: string }> => {
  const where = 'stdin' in from ? 'stdin' : from.file;
  let text: string;
  try {
    text = 'stdin' in from ? await readStream(stdin) : await readFile(from.file, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read the payload from ${where}: ${(error as Error).message}` };
  }
  if (text.trim() === '') return { ok: true, payload: null };
  try {
    return { ok: true, payload: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `payload from ${where} is not JSON: ${(error as Error).message}` };
  }
};
