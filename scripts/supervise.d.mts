// Types of supervise.mjs, for the TypeScript tests that import it.
export declare const escapeControl: (text: unknown) => string;
export declare const formatLine: (line: string) => string;
export declare const supervise: (
  specs: { name: string; cmd: string; args: string[]; env?: Record<string, string>; cwd?: string }[],
  options?: { onLine?: (name: string, line: string) => void },
) => unknown;
