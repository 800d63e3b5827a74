// Every relative link of the repository's markdown resolves: the file exists
// and, for `file.md#anchor`, a heading of that file makes that anchor (as
// GitHub makes them). Run by the `docs` suite through check-docs.mjs, so a
// moved or renamed section cannot leave a dead link behind.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** Markdown without its fenced code blocks, where `#` and `[x](y)` mean nothing. */
const unfenced = (markdown) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
/** …and without inline code, where `[x](y)` is not a link either. */
const prose = (markdown) => unfenced(markdown).replace(/`[^`\n]*`/g, '');

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
const headingAnchors = (markdown) => {
  const seen = new Map();
  const anchors = new Set();
  for (const [, text] of unfenced(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = text
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
};

/** Dead relative links of the markdown files below `root` (tracked, or new and not ignored): `file: target (why)`. */
export const checkLinks = (root) => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && existsSync(join(root, f)));
  const anchorsOf = new Map();
  const anchors = (file) => {
    if (!anchorsOf.has(file)) anchorsOf.set(file, headingAnchors(readFileSync(join(root, file), 'utf8')));
    return anchorsOf.get(file);
  };
  const failures = [];
  for (const file of files) {
    for (const [, target] of prose(readFileSync(join(root, file), 'utf8')).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) continue; // a URL, or a site path
      const [path, anchor] = target.split('#');
      const linked = path === '' ? file : normalize(join(dirname(file), decodeURI(path)));
      if (!existsSync(join(root, linked))) failures.push(`${file}: ${target} (no such file)`);
      else if (anchor && linked.endsWith('.md') && !anchors(linked).has(anchor)) failures.push(`${file}: ${target} (no such heading)`);
    }
  }
  return { checked: files.length, failures };
};
