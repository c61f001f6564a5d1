// Writes docs/inputs.md (tables of the action's inputs and outputs) from action.yml.
// `--check` writes nothing and exits 1 when docs/inputs.md is out of date.
// `--action FILE` and `--out FILE` point elsewhere (tests use them on temp copies).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function option(args, name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name}: expected a file path after it`);
  return v;
}

// One table cell: a single line, pipes escaped so they do not split the cell.
function cell(text) {
  return String(text ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}

function code(text) {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** The markdown of docs/inputs.md for a parsed action.yml. */
export function renderInputsTable(action) {
  const lines = [
    '<!-- Generated from action.yml by scripts/gen-inputs-table.mjs; do not edit by hand. -->',
    '# Inputs and outputs',
    '',
    `The inputs and outputs of the action (\`runs.using: ${action.runs?.using}\`). Every input is optional as far as the`,
    'runner is concerned; the action checks them all before it connects, and names each bad one. The CLI takes',
    'the same names as flags (`hermes-handoff promote --bake-seconds 30 ...`), secrets from files or stdin',
    '(`--private-key-file`, `--passphrase-file`, `--green-env-file`; `hermes-handoff promote --help` lists every flag).',
    '',
    '## Inputs',
    '',
    '| Input | Default | Description |',
    '| --- | --- | --- |',
  ];
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    const def = input?.default === undefined ? '' : code(cell(input.default));
    lines.push(`| \`${name}\` | ${def} | ${cell(input?.description)} |`);
  }
  lines.push('', '## Outputs', '', '| Output | Description |', '| --- | --- |');
  for (const [name, output] of Object.entries(action.outputs ?? {})) {
    lines.push(`| \`${name}\` | ${cell(output?.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

function main(args) {
  const actionPath = option(args, '--action', join(root, 'action.yml'));
  const outPath = option(args, '--out', join(root, 'docs', 'inputs.md'));
  const text = renderInputsTable(parse(readFileSync(actionPath, 'utf8')));
  const shown = relative(process.cwd(), outPath) || outPath;
  if (args.includes('--check')) {
    const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
    if (current === text) return 0;
    console.error(`${shown} is out of date with action.yml: run node scripts/gen-inputs-table.mjs`);
    return 1;
  }
  writeFileSync(outPath, text);
  console.log(`wrote ${shown}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  }
}
