// Serves the project's documentation with the demo (at docs/), so the first
// screen's "Read the documentation" link works wherever the app is served:
// README.md and docs/*.md as plain, readable pages (the markdown as text;
// no renderer needed). Emitted into dist/ on build, served by Vite in dev.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Plugin } from 'vite';

const root = join(import.meta.dirname, '../..');
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const sources = (): Array<{ file: string; name: string; title: string }> => [
  { file: join(root, 'README.md'), name: 'index', title: 'Warren' },
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => ({ file: join(root, 'docs', f), name: basename(f, '.md'), title: basename(f, '.md') })),
];

const page = (title: string, body: string, nav: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Warren documentation</title>
<style>body{font:16px/1.55 system-ui,sans-serif;max-width:860px;margin:0 auto;padding:16px;color:#111827;background:#fff}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace}
nav a{margin-right:12px;color:#0b5e58}@media (prefers-color-scheme:dark){body{background:#0e1116;color:#e6e9ee}nav a{color:#5eead4}}</style></head>
<body><nav aria-label="Documentation"><a href="../">← Back to the demo</a>${nav}</nav><main><h1>${escapeHtml(title)}</h1><pre>${body}</pre></main></body></html>`;

const render = () => {
  const list = sources();
  const nav = list
    .map((s) => `<a href="${s.name === 'index' ? './' : `${s.name}.html`}">${escapeHtml(s.title === 'Warren' ? 'README' : s.title)}</a>`)
    .join('');
  return new Map(list.map((s) => [s.name === 'index' ? 'index.html' : `${s.name}.html`, page(s.title, escapeHtml(readFileSync(s.file, 'utf8')), nav)]));
};

export const warrenDocs = (): Plugin => ({
  name: 'warren-docs',
  generateBundle() {
    for (const [name, html] of render()) this.emitFile({ type: 'asset', fileName: `docs/${name}`, source: html });
  },
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      const match = /^\/docs\/([a-z0-9-]*\.html)?$/.exec((req.url ?? '').split('?')[0]!);
      if (!match) return next();
      const html = render().get(match[1] ?? 'index.html');
      if (!html) return next();
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(html);
    });
  },
});
