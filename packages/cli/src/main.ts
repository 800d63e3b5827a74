import { parseArgs, USAGE } from './args.ts';
import { call } from './call.ts';
import { codegen } from './codegen.ts';

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
} else {
  (command.kind === 'codegen' ? codegen(command, io) : call(command, io)).then(exit, (error: unknown) => {
    io.err(`INTERNAL: ${(error as Error).message}`);
    exit(1);
  });
}
