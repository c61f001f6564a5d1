// The generated parts of README.md, each between two markers: the inputs/outputs tables (docs/inputs.md as
// scripts/gen-inputs-table.mjs writes it, every heading one level down) and a copy of
// examples/workflows/handoff.yml. `node --import tsx test/workflows/readme-sync.ts --write` rewrites both; the
// workflows test fails while either is stale.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const START = '<!-- inputs:start -->';
export const END = '<!-- inputs:end -->';
export const WRITE_COMMAND = 'node --import tsx test/workflows/readme-sync.ts --write';
export const WORKFLOW_START = '<!-- workflow:start -->';
export const WORKFLOW_END = '<!-- workflow:end -->';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The generator's markdown for `actionPath` (run as a process, exactly as docs/inputs.md is made); throws with its stderr on failure. */
export function generatedTable(actionPath = join(root, 'action.yml')): string {
  const dir = mkdtempSync(join(tmpdir(), 'hh-readme-inputs-'));
  try {
    const out = join(dir, 'inputs.md');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-inputs-table.mjs'), '--action', actionPath, '--out', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scripts/gen-inputs-table.mjs failed (exit ${r.status}): ${r.stderr.trim()}`);
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The block the README holds between START and END: the generated markdown with each heading one level deeper. */
export function readmeBlock(generated: string): string {
  return generated
    .split('\n')
    .map((line) => (/^#{1,5} /.test(line) ? `#${line}` : line))
    .join('\n')
    .trimEnd();
}

/** The text between the markers `start` and `end` of `readme`, trimmed; throws naming the missing marker when there is none. */
export function currentBlock(readme: string, start = START, end = END): string {
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0) throw new Error(`README.md has no ${start} marker`);
  if (b < a) throw new Error(`README.md has no ${end} marker after ${start}`);
  return readme.slice(a + start.length, b).trim();
}

/** `readme` with the text between the markers `start` and `end` replaced by `block`. */
export function spliceBlock(readme: string, block: string, start = START, end = END): string {
  currentBlock(readme, start, end); // validates both markers
  const a = readme.indexOf(start) + start.length;
  const b = readme.indexOf(end);
  return `${readme.slice(0, a)}\n${block}\n${readme.slice(b)}`;
}

/** The workflow block of the README: examples/workflows/handoff.yml as it is, in a yaml fence. */
export function workflowBlock(workflowText = readFileSync(join(root, 'examples', 'workflows', 'handoff.yml'), 'utf8')): string {
  if (workflowText.includes('```')) throw new Error('handoff.yml contains ``` and cannot sit in a markdown fence');
  return `\`\`\`yaml\n${workflowText.trimEnd()}\n\`\`\``;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = join(root, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const inputs = readmeBlock(generatedTable());
  const workflow = workflowBlock();
  if (!process.argv.includes('--write')) {
    const stale = currentBlock(readme) !== inputs || currentBlock(readme, WORKFLOW_START, WORKFLOW_END) !== workflow;
    console.log(stale ? `README.md is stale: run ${WRITE_COMMAND}` : 'README.md is up to date');
    process.exitCode = stale ? 1 : 0;
  } else {
    writeFileSync(path, spliceBlock(spliceBlock(readme, inputs), workflow, WORKFLOW_START, WORKFLOW_END));
    console.log('wrote the inputs tables and the workflow into README.md');
  }
}
