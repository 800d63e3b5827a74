// One table of every conformance case per language, so a run (and `npm test`)
// shows at a glance where the SDKs differ. A case that never finished (a hook
// failed, a timeout) shows as not run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../support/processes.ts';

export type Outcome = 'pass' | 'fail';

export const createReport = <L extends string>(languages: readonly L[]) => {
  const cases: string[] = [];
  const outcomes = new Map<string, Map<L, Outcome>>();

  return {
    record(name: string, language: L, outcome: Outcome) {
      if (!outcomes.has(name)) {
        cases.push(name);
        outcomes.set(name, new Map());
      }
      outcomes.get(name)!.set(language, outcome);
    },
    /** Writes test-artifacts/conformance.md and returns its text. */
    write(): string {
      const cell = (name: string, language: L) => {
        const outcome = outcomes.get(name)?.get(language);
        return outcome === 'pass' ? 'pass' : outcome === 'fail' ? '**FAIL**' : 'not run';
      };
      const passed = (language: L) => cases.filter((name) => outcomes.get(name)?.get(language) === 'pass').length;
      const lines = [
        '# Conformance: one service, the same cases, each SDK',
        '',
        `| case | ${languages.join(' | ')} |`,
        `| --- | ${languages.map(() => '---').join(' | ')} |`,
        ...cases.map((name) => `| ${name} | ${languages.map((l) => cell(name, l)).join(' | ')} |`),
        '',
        languages.map((l) => `${l}: ${passed(l)}/${cases.length} passed`).join(', '),
        '',
      ];
      const text = lines.join('\n');
      const dir = join(root, 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'conformance.md'), text);
      return text;
    },
  };
};
