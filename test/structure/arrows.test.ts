// The import rules hold: the code base has no wrong arrow, and a deliberately wrong import is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { CRUISE_OPTIONS, forbiddenRules, layerOf } from '../../scripts/layers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The violations dependency-cruiser finds under `baseDir` with the project's rules, as "rule: from -> to". */
async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const r = await cruise(paths, { ...CRUISE_OPTIONS, baseDir, ruleSet: { forbidden: forbiddenRules() }, validate: true });
  const out = r.output as ICruiseResult;
  return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

test('the code base has no wrong arrow (the same check as npm run lint)', async () => {
  assert.deepEqual(await violations(ROOT, ['src', 'examples']), []);
});

test('every module of src/ and examples/ belongs to a layer', () => {
  for (const p of ['src/core/verdict.ts', 'src/host/quote.ts', 'src/host/ssh/connect.ts', 'src/main.ts', 'examples/gateway/platform/server.ts']) {
    assert.ok(layerOf(p), p);
  }
  assert.equal(layerOf('src/host/ssh/connect.ts')?.path, 'src/host/ssh');
  assert.equal(layerOf('src/host/quote.ts')?.path, 'src/host');
  assert.equal(layerOf('src/cli/engine.ts')?.path, 'src/cli');
  assert.equal(layerOf('src/cli.ts')?.path, 'src/cli.ts');
});

test('deliberately wrong imports are caught, each by its rule; allowed ones pass', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-arrows-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    // Wrong arrows.
    'src/report/render.ts': "import { post } from '../forge/post.ts';\nexport const render = () => post;\n",
    'src/cli/engine.ts': "import { runAction } from '../app/action.ts';\nexport const run = runAction;\n",
    'src/core/vocab.ts': "import type { Host } from '../host/host.ts';\nexport type H = Host;\n",
    'src/handoff/launch.ts': "import { shellQuote } from '../host/quote.ts';\nexport const q = shellQuote;\n",
    'src/cli.ts': "import { run } from '../examples/bin/demo.ts';\nexport const demo = run;\n",
    'src/text/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
    'src/text/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    // Allowed arrows.
    'src/forge/post.ts': "import { render } from '../report/ok.ts';\nexport const post = render;\n",
    'src/report/ok.ts': "import type { V } from '../core/ok.ts';\nexport const render = (v: V) => v;\n",
    'src/core/ok.ts': 'export type V = string;\n',
    'src/app/action.ts': 'export const runAction = () => 0;\n',
    'src/host/host.ts': 'export interface Host { kind: string }\n',
    'src/host/quote.ts': 'export const shellQuote = (s: string) => s;\n',
    'examples/bin/demo.ts': "import { shellQuote } from '../../src/host/quote.ts';\nexport const run = shellQuote;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  assert.deepEqual(await violations(dir, ['src', 'examples']), [
    'no-cycles: src/text/a.ts -> src/text/b.ts',
    'src-cli-imports: src/cli/engine.ts -> src/app/action.ts',
    'src-cli-ts-imports: src/cli.ts -> examples/bin/demo.ts',
    'src-core-imports: src/core/vocab.ts -> src/host/host.ts',
    'src-handoff-imports: src/handoff/launch.ts -> src/host/quote.ts',
    'src-report-imports: src/report/render.ts -> src/forge/post.ts',
  ]);
});
