// What Warren adds to a browser bundle: two production Vite builds of the
// same React page, one calling socket.io-client directly and one using
// @warren/client + @warren/react (+ @warren/protocol), both from the built
// packages (dist/, as published). Prints the gzip sizes and the difference,
// and exits 1 when Warren adds more than the budget (issue 13: 15 kB gzip).
//
//   node scripts/size.mjs [--json]
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildPackages } from './build-packages.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const BUDGET_BYTES = 15 * 1024;

const PAGE = `
import { createRoot } from 'react-dom/client';
import { useEffect, useState } from 'react';
`;

const APPS = {
  // The floor: a page that talks to a Socket.IO server itself.
  'socket.io-client': `${PAGE}
import { io } from 'socket.io-client';
const socket = io('/');
const App = () => {
  const [text, setText] = useState('');
  useEffect(() => { socket.on('response', (r) => setText(JSON.stringify(r))); }, []);
  return <button onClick={() => socket.emit('request', { id: '1', type: 'greet', payload: { name: 'Ada' } }, () => {})}>{text}</button>;
};
createRoot(document.getElementById('root')).render(<App />);
`,
  warren: `${PAGE}
import { createBackend } from '@warren/client';
import { BackendProvider, useBackendRequest, useConnection } from '@warren/react';
const backend = createBackend({ url: '/' });
const App = () => {
  const { send, status, chunks, data, error } = useBackendRequest('greet');
  const connection = useConnection();
  useEffect(() => backend.logger.info('mounted'), []);
  return (
    <button onClick={() => send({ name: 'Ada' })}>
      {connection} {status} {chunks.length} {JSON.stringify(data)} {error?.code}
    </button>
  );
};
createRoot(document.getElementById('root')).render(<BackendProvider backend={backend}><App /></BackendProvider>);
`,
};

const gzipOfJs = (dir) =>
  readdirSync(join(dir, 'assets'))
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, 'assets', f)), { level: 9 }).byteLength, 0);

export const measure = async ({ build = true } = {}) => {
  if (build) buildPackages(['protocol', 'client', 'react']);
  const { build: viteBuild } = await import('vite');
  const react = (await import('@vitejs/plugin-react')).default;
  // Inside the repository so node_modules resolves; default conditions, so dist/.
  const work = join(root, 'test-artifacts', 'size');
  rmSync(work, { recursive: true, force: true });
  const sizes = {};
  for (const [name, source] of Object.entries(APPS)) {
    const dir = join(work, name.replace(/\W/g, '-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="./main.jsx"></script>');
    writeFileSync(join(dir, 'main.jsx'), source);
    await viteBuild({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      mode: 'production',
      plugins: [react()],
      // Production React whatever NODE_ENV the caller runs with (vitest sets "test").
      define: { 'process.env.NODE_ENV': JSON.stringify('production') },
      build: { outDir: join(dir, 'dist'), emptyOutDir: true, modulePreload: false },
    });
    sizes[name] = gzipOfJs(join(dir, 'dist'));
  }
  const added = sizes.warren - sizes['socket.io-client'];
  return { floor: sizes['socket.io-client'], warren: sizes.warren, added, budget: BUDGET_BYTES };
};

const kB = (n) => `${(n / 1024).toFixed(1)} kB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measure();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    console.log('| production Vite build, React page | JS gzip |\n| --- | --- |');
    console.log(`| react + socket.io-client | ${kB(result.floor)} |`);
    console.log(`| react + @warren/client + @warren/react + @warren/protocol | ${kB(result.warren)} |`);
    console.log(`\nWarren adds ${kB(result.added)} gzip on top of socket.io-client (budget ${kB(result.budget)}).`);
  }
  process.exit(result.added <= result.budget ? 0 : 1);
}
