// A tiny process supervisor for `npm start` and `npm run dev`: runs each
// child, prefixes and prettifies its log lines, restarts it with backoff when
// it crashes, restarts it at once when a file it was started from changes
// (a spec's `watch` directories: `npm run dev`), and stops everything on
// Ctrl-C / SIGTERM.
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { embeddedEvent } from './launch.mjs';

const COLORS = [36, 35, 33, 32, 34, 31];
const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name', 'v']);

// Log text comes from browsers too (client-log, request ids): a newline or a
// terminal escape in it must not forge a log line or repaint the console.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
export const escapeControl = (text) => String(text).replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `key=value …` of a log object's own fields. */
const fields = (entry) =>
  Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${escapeControl(k)}=${typeof v === 'string' ? escapeControl(v) : JSON.stringify(v)}`)
    .join(' ');

export const formatLine = (line) => {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    // A text line ending in a structured event (Python's `ready`) shows it as a JSON line's fields are shown.
    const embedded = embeddedEvent(line);
    return embedded ? `${escapeControl(embedded.text)}  ${fields(embedded.event)}` : escapeControl(line);
  }
  if (entry === null || typeof entry !== 'object') return escapeControl(line);
  const level = LEVELS[entry.level] ?? entry.levelname ?? entry.level ?? '';
  const extra = fields(entry);
  return `${escapeControl(String(level).padEnd(5))} ${escapeControl(entry.msg ?? entry.message ?? '')}${extra ? `  ${extra}` : ''}`;
};

/** Editor droppings, caches and build output never restart anything. */
export const IGNORED = /(^|[\\/])(node_modules|__pycache__|dist|\.git|\.vite)([\\/]|$)|\.(pyc|swp|swx|tmp)$|~$|\.#/;

export const supervise = (specs, { onLine } = {}) => {
  let stopping = false;
  const children = new Map();
  const pending = new Map(); // name → backoff timer of a crashed child
  const changed = new Set(); // names being restarted for a file change: no backoff
  const width = Math.max(...specs.map((s) => s.name.length));

  const start = (spec, index, restarts = 0) => {
    pending.delete(spec.name);
    const child = spawn(spec.cmd, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: spec.cwd });
    children.set(spec.name, child);
    const tag = `\x1b[${COLORS[index % COLORS.length]}m${spec.name.padEnd(width)}\x1b[0m │`;
    // The pid, so an operator (or a test) can signal one child directly.
    console.log(`${tag} started (pid ${child.pid})`);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(`${tag} ${formatLine(line)}`);
        onLine?.(spec.name, line);
      });
    }
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      children.delete(spec.name);
      if (stopping) return;
      if (changed.delete(spec.name)) return start(spec, index, 0);
      // A child that ran a while earns its restart budget back.
      const n = Date.now() - startedAt > 30_000 ? 0 : restarts + 1;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(n, 5));
      console.log(`${tag} exited (${signal ?? code}); restarting in ${delay} ms`);
      pending.set(
        spec.name,
        setTimeout(() => !stopping && start(spec, index, n), delay),
      );
    });
  };

  /** A watched file changed: stop the child (it drains like on any SIGTERM) and start it again at once. */
  const restartFor = (spec, index, file) => {
    if (stopping) return;
    const tag = `\x1b[${COLORS[index % COLORS.length]}m${spec.name.padEnd(width)}\x1b[0m │`;
    console.log(`${tag} ${file} changed; restarting`);
    const child = children.get(spec.name);
    if (!child) {
      clearTimeout(pending.get(spec.name)); // crashed and waiting out its backoff: the fix may be in
      return start(spec, index, 0);
    }
    if (changed.has(spec.name)) return; // already on its way down
    changed.add(spec.name);
    child.kill('SIGTERM');
    // A worker drains its requests first; in development nobody waits long for that.
    const kill = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), spec.stopMs ?? 3000);
    child.once('exit', () => clearTimeout(kill));
  };

  const watchers = [];
  specs.forEach((spec, index) => {
    let timer;
    let last = '';
    for (const dir of spec.watch ?? []) {
      try {
        const watcher = watch(dir, { recursive: true }, (_event, filename) => {
          const file = filename ? String(filename) : '';
          if (file === '' || IGNORED.test(file)) return;
          last = relative(process.cwd(), `${dir}/${file}`);
          // One restart for a burst of writes (an editor saving, a git checkout).
          clearTimeout(timer);
          timer = setTimeout(() => restartFor(spec, index, last), 150);
        });
        watcher.on('error', () => {});
        watchers.push(watcher);
      } catch (error) {
        console.log(`cannot watch ${dir}: ${error.message}`);
      }
    }
  });

  specs.forEach((spec, i) => start(spec, i));

  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    for (const watcher of watchers) watcher.close();
    for (const timer of pending.values()) clearTimeout(timer);
    console.log(`\n${signal}: stopping ${children.size} processes…`);
    for (const child of children.values()) child.kill('SIGTERM');
    const check = setInterval(() => {
      if (children.size === 0) {
        clearInterval(check);
        process.exit(0);
      }
    }, 100);
    setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(0);
    }, 15_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
};
