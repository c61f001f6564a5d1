import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { currentBlock, generatedTable, readmeBlock, spliceBlock, workflowBlock, WORKFLOW_END, WORKFLOW_START, WRITE_COMMAND } from './readme-sync.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = join(root, 'examples', 'workflows');
const GITEA = join(EXAMPLES, 'gitea');
const OWN = join(root, '.github', 'workflows');

// The parts of a workflow file these checks read; everything else passes through.
const Step = z.looseObject({ id: z.string().optional(), uses: z.string().optional(), with: z.record(z.string(), z.unknown()).optional() });
const Job = z.looseObject({
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  strategy: z.looseObject({ matrix: z.unknown().optional(), 'max-parallel': z.number().optional() }).optional(),
  permissions: z.unknown().optional(),
  concurrency: z.unknown().optional(),
  steps: z.array(Step).default([]),
});
const Workflow = z.looseObject({
  name: z.string().optional(),
  on: z.unknown(),
  concurrency: z.unknown().optional(),
  permissions: z.unknown().optional(),
  jobs: z.record(z.string(), Job),
});
type Workflow = z.infer<typeof Workflow>;
type Job = z.infer<typeof Job>;

/** Parses a workflow file strictly (YAML errors and warnings fail) and checks the shape these tests need. */
function loadWorkflow(path: string): Workflow {
  const doc = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
  assert.deepEqual(problems, [], `${path} is not clean YAML`);
  const r = Workflow.safeParse(doc.toJS());
  assert.ok(r.success, `${path}: expected a workflow with on: and jobs: (${r.success ? '' : r.error.message})`);
  return r.data;
}

const yamlFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : []);

/** True for a step that runs this action, however the reference is written (owner/repo@ref, a full URL, or ./). */
function usesTheAction(uses: string | undefined): boolean {
  return uses !== undefined && (uses === './' || uses === '.' || /(^|\/)hermes-handoff@[^/]+$/.test(uses));
}

/** The steps of `wf` that run the action, each named `job/step-index`. */
function actionSteps(wf: Workflow): { where: string; with: Record<string, unknown> }[] {
  return Object.entries(wf.jobs).flatMap(([name, job]) =>
    job.steps.flatMap((s, i) => (usesTheAction(s.uses) ? [{ where: `${name}/steps[${i}]`, with: s.with ?? {} }] : [])),
  );
}

/** Every `with:` key of an action step that action.yml does not declare, as `job/step: key`. */
function undeclaredInputs(wf: Workflow, declared: ReadonlySet<string>): string[] {
  return actionSteps(wf).flatMap((s) => Object.keys(s.with).filter((k) => !declared.has(k)).map((k) => `${s.where}: ${k}`));
}

function declaredInputs(): Set<string> {
  const action = z.looseObject({ inputs: z.record(z.string(), z.unknown()) }).parse(parseDocument(readFileSync(join(root, 'action.yml'), 'utf8')).toJS());
  return new Set(Object.keys(action.inputs));
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : job.needs);

test('every workflow file in examples/workflows and .github/workflows parses', () => {
  const files = [...yamlFiles(EXAMPLES).map((f) => join(EXAMPLES, f)), ...yamlFiles(GITEA).map((f) => join(GITEA, f)), ...yamlFiles(OWN).map((f) => join(OWN, f))];
  for (const name of ['handoff.yml', 'preflight.yml', 'fleet.yml', 'status.yml']) {
    assert.ok(files.includes(join(EXAMPLES, name)), `examples/workflows/${name} is missing`);
    assert.ok(files.includes(join(GITEA, name)), `examples/workflows/gitea/${name} is missing`);
  }
  for (const name of ['ci.yml', 'check-dist.yml']) assert.ok(files.includes(join(OWN, name)), `.github/workflows/${name} is missing`);
  for (const f of files) {
    const wf = loadWorkflow(f);
    assert.ok(Object.keys(wf.jobs).length > 0, `${f}: expected at least one job`);
  }
});

test('a bad workflow is caught: duplicate keys, and inputs action.yml does not declare', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-workflows-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dup = join(dir, 'dup.yml');
  writeFileSync(dup, 'on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n');
  assert.throws(() => loadWorkflow(dup), /not clean YAML/);

  const wf = Workflow.parse({
    on: 'push',
    jobs: { deploy: { steps: [{ uses: 'actions/checkout@v4', with: { ref: 'main' } }, { uses: 'hermes-handoff/hermes-handoff@v1', with: { host: 'h', 'bake-secs': '30' } }] } },
  });
  assert.deepEqual(undeclaredInputs(wf, declaredInputs()), ['deploy/steps[1]: bake-secs']);
  assert.ok(usesTheAction('https://gitea.example.com/your-org/hermes-handoff@v1'));
  assert.ok(!usesTheAction('actions/checkout@v4'));
});

test('each example workflow runs the action with declared inputs only, and sets concurrency and permissions', () => {
  const declared = declaredInputs();
  const files = [...yamlFiles(EXAMPLES), ...yamlFiles(GITEA).map((f) => `gitea/${f}`)];
  assert.ok(files.length >= 8);
  for (const f of files) {
    const wf = loadWorkflow(join(EXAMPLES, f));
    assert.ok(actionSteps(wf).length > 0, `examples/workflows/${f}: expected a step that uses the action`);
    assert.deepEqual(undeclaredInputs(wf, declared), [], `examples/workflows/${f} sets inputs that action.yml does not declare`);
    assert.ok(wf.concurrency !== undefined, `examples/workflows/${f}: expected a top-level concurrency`);
    assert.ok(wf.permissions !== undefined && wf.permissions !== null, `examples/workflows/${f}: expected top-level permissions`);
  }
});

test('handoff.yml: push to main and workflow_dispatch with mode and bake-seconds; concurrency per target; the permissions it needs', () => {
  const gitea = loadWorkflow(join(GITEA, 'handoff.yml'));
  assert.deepEqual(gitea.permissions, { contents: 'write', issues: 'write', 'pull-requests': 'write' });
  const wf = loadWorkflow(join(EXAMPLES, 'handoff.yml'));
  const on = z
    .object({
      push: z.object({ branches: z.array(z.string()) }),
      workflow_dispatch: z.object({
        inputs: z.object({
          mode: z.looseObject({ type: z.literal('choice'), options: z.array(z.string()) }),
          'bake-seconds': z.looseObject({}),
        }),
      }),
    })
    .parse(wf.on);
  assert.deepEqual(on.push.branches, ['main']);
  assert.deepEqual([...on.workflow_dispatch.inputs.mode.options].sort(), ['preflight', 'promote', 'rollback', 'status']);

  const c = z.object({ group: z.string(), 'cancel-in-progress': z.boolean() }).parse(wf.concurrency);
  assert.match(c.group, /^hermes-handoff-production/);
  assert.equal(c['cancel-in-progress'], false);
  assert.deepEqual(wf.permissions, { contents: 'read', statuses: 'write', issues: 'write', 'pull-requests': 'write' });

  const [step] = actionSteps(wf);
  assert.ok(step);
  for (const k of ['host', 'username', 'private-key', 'host-fingerprint', 'known-hosts', 'green-command', 'target-name', 'mode', 'bake-seconds']) {
    assert.ok(k in step.with, `handoff.yml: the action step should set ${k}`);
  }
  for (const k of ['host', 'username', 'private-key']) assert.match(String(step.with[k]), /\$\{\{\s*secrets\./, `handoff.yml: ${k} should come from a secret`);
  assert.equal(step.with['target-name'], 'production', 'the concurrency group names the target: keep them equal');
});

test('preflight.yml (both forges): a pull_request check in mode preflight', () => {
  for (const dir of [EXAMPLES, GITEA]) {
    const wf = loadWorkflow(join(dir, 'preflight.yml'));
    const on = z.object({ pull_request: z.unknown() }).parse(wf.on);
    assert.ok(on);
    const steps = actionSteps(wf);
    assert.ok(steps.length > 0);
    for (const s of steps) assert.equal(s.with.mode, 'preflight', `${s.where}: expected mode: preflight`);
  }
});

test('status.yml (both forges): scheduled every 30 minutes in mode status (issue 13 item 4)', () => {
  for (const dir of [EXAMPLES, GITEA]) {
    const wf = loadWorkflow(join(dir, 'status.yml'));
    const on = z.object({ schedule: z.array(z.object({ cron: z.string() })) }).parse(wf.on);
    assert.deepEqual(on.schedule.map((c) => c.cron), ['*/30 * * * *']);
    const steps = actionSteps(wf);
    assert.ok(steps.length > 0);
    for (const s of steps) assert.equal(s.with.mode, 'status', `${s.where}: expected mode: status`);
  }
});

// What the job token may do, as each forge reads a workflow's `permissions:` (docs/forge.md, "Gitea versions").
type Grant = { statuses: boolean; issues: boolean; pulls: boolean };
const PermBlock = z.union([z.literal('write-all'), z.literal('read-all'), z.record(z.string(), z.enum(['read', 'write', 'none']))]);
function granted(block: unknown, forge: 'github' | 'gitea-1.22' | 'gitea-1.27'): Grant {
  // Gitea before 1.26 ignores `permissions:`: the job token of a same-repository event writes to the repository.
  if (forge === 'gitea-1.22') return { statuses: true, issues: true, pulls: true };
  const p = PermBlock.parse(block ?? {});
  const w = (k: string) => p === 'write-all' || (typeof p === 'object' && p[k] === 'write');
  // Gitea 1.26+ has no `statuses` scope: a commit status needs write access to code (`contents: write`).
  if (forge === 'gitea-1.27') return { statuses: w('contents'), issues: w('issues'), pulls: w('pull-requests') };
  return { statuses: w('statuses'), issues: w('issues'), pulls: w('pull-requests') };
}
/** What the action writes in a mode: the status always, the PR comment, and issues outside preflight. */
const NEEDS: Record<string, Grant> = {
  promote: { statuses: true, issues: true, pulls: true },
  status: { statuses: true, issues: true, pulls: true },
  preflight: { statuses: true, issues: false, pulls: true },
};

test('the examples run unmodified: GitHub files on GitHub, Gitea files on Gitea 1.22 and 1.27, each with the permissions its modes need (issue 14 item 4)', () => {
  const cases: Array<[string, Array<'github' | 'gitea-1.22' | 'gitea-1.27'>]> = [
    ...yamlFiles(EXAMPLES).map((f) => [join(EXAMPLES, f), ['github']] as [string, Array<'github'>]),
    ...yamlFiles(GITEA).map((f) => [join(GITEA, f), ['gitea-1.22', 'gitea-1.27']] as [string, Array<'gitea-1.22' | 'gitea-1.27'>]),
  ];
  for (const [file, forges] of cases) {
    const wf = loadWorkflow(file);
    for (const forge of forges) {
      for (const [name, job] of Object.entries(wf.jobs)) {
        const grant = granted(job.permissions ?? wf.permissions, forge);
        for (const s of job.steps.filter((x) => usesTheAction(x.uses))) {
          const mode = String(s.with?.mode ?? 'promote').includes('inputs.mode') ? 'promote' : String(s.with?.mode ?? 'promote');
          const need = NEEDS[mode] ?? NEEDS.promote!;
          for (const k of ['statuses', 'issues', 'pulls'] as const) assert.ok(!need[k] || grant[k], `${file} on ${forge}: job ${name} (${mode}) lacks ${k}`);
        }
      }
    }
    // Least privilege on GitHub: no push access for a token that only reports.
    if (forges.includes('github')) assert.notEqual((wf.permissions as Record<string, string> | undefined)?.contents, 'write', `${file} grants contents: write on GitHub`);
  }
  // The model catches a missing grant, so a pass means something.
  assert.equal(granted({ contents: 'read', statuses: 'write' }, 'gitea-1.27').statuses, false);
  assert.equal(granted({ contents: 'read' }, 'github').pulls, false);
});

test('gitea/fleet.yml never hands over more than two hosts at once without max-parallel (Gitea before 1.26 ignores it)', () => {
  const wf = loadWorkflow(join(GITEA, 'fleet.yml'));
  const Include = z.object({ include: z.array(z.unknown()) });
  let waves = 0;
  for (const [name, job] of Object.entries(wf.jobs)) {
    if (job.strategy?.matrix === undefined) continue;
    waves++;
    const size = Include.parse(job.strategy.matrix).include.length;
    assert.ok(size <= 2, `${name}: ${size} hosts at once`);
    assert.equal(needsOf(job).length, 1, `${name}: chained after exactly one earlier job`);
  }
  assert.ok(waves >= 2, 'the fleet comes in waves');
  // The waves form one chain from the canary: no two waves run at the same time.
  const after = Object.values(wf.jobs).map((j) => needsOf(j)[0] ?? '(start)');
  assert.equal(new Set(after).size, after.length, `two jobs wait for the same one: ${after.join(', ')}`);
});

test('fleet.yml (GitHub): a canary job first, then a matrix the forge runs with max-parallel', () => {
  const wf = loadWorkflow(join(EXAMPLES, 'fleet.yml'));
  const jobs = Object.entries(wf.jobs);
  const matrixJobs = jobs.filter(([, j]) => j.strategy?.matrix !== undefined);
  assert.ok(matrixJobs.length > 0, 'expected a job with strategy.matrix');
  for (const [name, job] of matrixJobs) {
    assert.ok(typeof job.strategy?.['max-parallel'] === 'number', `${name}: expected strategy.max-parallel`);
    const needs = needsOf(job);
    assert.ok(needs.length > 0, `${name}: expected needs: on the canary job`);
    for (const n of needs) {
      const canary = wf.jobs[n];
      assert.ok(canary, `${name} needs ${n}, which is not a job`);
      assert.equal(canary.strategy?.matrix, undefined, `${n} (the canary) should be one host, not a matrix`);
      assert.deepEqual(needsOf(canary), [], `${n} (the canary) should run first`);
      assert.ok(canary.steps.some((s) => usesTheAction(s.uses)), `${n} (the canary) should run the action`);
    }
    assert.ok(job.steps.some((s) => usesTheAction(s.uses)), `${name} should run the action`);
  }
});

test("this repository's own workflows never deploy: no step in .github/workflows runs the action", () => {
  for (const f of yamlFiles(OWN)) assert.deepEqual(actionSteps(loadWorkflow(join(OWN, f))), [], `.github/workflows/${f} runs the action`);
});

test('README.md holds the inputs and outputs tables generated from action.yml', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const want = readmeBlock(generatedTable());
  assert.ok(want.includes('| `mode` |') && want.includes('### Outputs'));
  assert.equal(currentBlock(readme), want, `README.md's inputs tables are stale: run ${WRITE_COMMAND}`);
});

test('the README block follows action.yml: a changed description changes it, and splicing it back matches', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const action = join(dir, 'action.yml');
  writeFileSync(action, readFileSync(join(root, 'action.yml'), 'utf8').replace('The SSH port, an integer 1-65535.', 'The SSH port number.'));
  const changed = readmeBlock(generatedTable(action));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.notEqual(currentBlock(readme), changed);
  assert.match(changed, /\| `port` \| `22` \| The SSH port number\./);
  assert.equal(currentBlock(spliceBlock(readme, changed)), changed);
});

test('README.md shows examples/workflows/handoff.yml as it is', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const shown = currentBlock(readme, WORKFLOW_START, WORKFLOW_END);
  assert.match(shown, /^```yaml\n[\s\S]*\n```$/, 'README.md should hold the workflow in a yaml fence between the workflow markers');
  assert.equal(shown, workflowBlock(), `README.md's copy of examples/workflows/handoff.yml is stale: run ${WRITE_COMMAND}`);
  const changed = workflowBlock(readFileSync(join(EXAMPLES, 'handoff.yml'), 'utf8').replace('bake-seconds', 'bake-secs'));
  assert.notEqual(shown, changed);
});
