export { parseArgs, USAGE, type Command } from './args.ts';
export { call, type CallIo } from './call.ts';
