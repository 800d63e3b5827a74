import { parseArgs, USAGE } from './args.ts';
import { call, CANCELLED_EXIT } from './call.ts';
import { codegen } from './codegen.ts';
import { readPayload } from './payload-input.ts';

// `warren call … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const command = parseArgs(process.argv.slice(2), process.env);
const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };

const exit = (code: number) => {
  // Let stdout drain before leaving (pipes are asynchronous).
  process.stdout.write('', () => process.exit(code));
};

if (command.kind === 'help') {
  io.out(USAGE);
  exit(0);
} else if (command.kind === 'usage-error') {
  io.err(`warren: ${command.message}\n\n${USAGE}`);
  exit(2);
} else if (command.kind === 'codegen') {
  codegen(command, io).then(exit, (error: unknown) => {
    io.err(`INTERNAL: ${(error as Error).message}`);
    exit(1);
  });
} else {
  // First Ctrl-C cancels the request (the cancel reaches the worker) and
  // waits for the gateway to confirm; a second one leaves at once.
  const abort = new AbortController();
  process.on('SIGINT', () => {
    if (abort.signal.aborted) process.exit(CANCELLED_EXIT);
    io.err('cancelling… (Ctrl-C again to quit at once)');
    abort.abort();
  });
  const run = async () => {
    let payload = command.payload;
    if (command.payloadFrom) {
      const read = await readPayload(command.payloadFrom);
      if (!read.ok) {
        io.err(`warren: ${read.message}`);
        return 2;
      }
      payload = read.payload;
    }
    return call({ ...command, payload }, io, undefined, abort.signal);
  };
  run().then(exit, (error: unknown) => {
    io.err(`INTERNAL: ${(error as Error).message}`);
    exit(1);
  });
}
