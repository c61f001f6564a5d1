// The demo leaves nothing behind however it is stopped: Ctrl-C (SIGINT to its process group, as a
// terminal sends it) at each moment of a run, SIGTERM, SIGHUP, and a reader that stops reading (`| head`).
// After each: no live process in its group, none naming its temp dir (green runs in a session of its
// own), and no temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtDist } from '../support/action-runner.ts';
import { leftovers, startDemo, tmpEntries } from './demo-process.ts';

const ARGS = ['--init-ms', '400', '--bake-ms', '2500', '--rate', '30'];

/** Asserts the demo exited with `code` and left no process and no temp dir. */
async function assertNothingLeft(d: ReturnType<typeof startDemo>, code: number): Promise<void> {
  assert.equal(await d.exited(), code, `exit code; stderr:\n${d.stderr()}`);
  assert.deepEqual(leftovers(d.child.pid!, d.tmp), [], 'processes left behind');
  assert.deepEqual(tmpEntries(d.tmp), [], 'files left in TMPDIR');
}

// Each moment is a line the demo prints (progress goes to stdout without --json).
const MOMENTS: [what: string, line: RegExp][] = [
  ['at start, before blue serves', /^hermes-handoff demo: promote/m],
  ['with blue serving, before the reservation', /^blue serving \(pid \d+\)/m],
  ['with green launched, before it is ready', /started green \(launcher pid \d+\)/],
  ['during the drain and handover', /phase draining/],
  ['during the bake', /phase baking/],
  ['after the verdict, while the platform settles', /phase complete/],
];

for (const [what, line] of MOMENTS) {
  test(`Ctrl-C ${what}: nothing is left running and the temp HERMES_HOME is gone`, { timeout: 60_000 }, async (t) => {
    const d = startDemo(t, ARGS);
    await d.waitFor(line);
    process.kill(-d.child.pid!, 'SIGINT');
    await assertNothingLeft(d, 130);
    assert.match(d.stderr(), /demo: SIGINT: stopping the gateways and removing the temp HERMES_HOME/);
  });
}

test('SIGTERM during the bake stops everything (143); so does SIGHUP (129)', { timeout: 90_000 }, async (t) => {
  for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    const d = startDemo(t, ARGS);
    await d.waitFor(/phase baking/);
    process.kill(d.child.pid!, sig);
    await assertNothingLeft(d, code);
  }
});

test('a reader that stops reading (| head): the demo stops at its next line, leaving nothing (141)', { timeout: 60_000 }, async (t) => {
  const d = startDemo(t, ARGS);
  await d.waitFor(/^blue serving/m);
  d.child.stdout!.destroy();
  await assertNothingLeft(d, 141);
});

test('with --json, a reader that stops reading stderr early: the same', { timeout: 60_000 }, async (t) => {
  const d = startDemo(t, ['--json', ...ARGS]);
  await d.waitFor(/started green/);
  d.child.stderr!.destroy();
  await assertNothingLeft(d, 141);
});

test('a second Ctrl-C while stopping ends it at once, still leaving nothing', { timeout: 60_000 }, async (t) => {
  const d = startDemo(t, ARGS);
  await d.waitFor(/phase baking/);
  process.kill(-d.child.pid!, 'SIGINT');
  await d.waitFor(/demo: SIGINT: stopping/);
  process.kill(-d.child.pid!, 'SIGINT');
  assert.equal(await d.exited(), 130);
  // SIGKILL was sent to every group: wait for the kernel to finish them (bounded), then look.
  const end = Date.now() + 5_000;
  while (leftovers(d.child.pid!, d.tmp).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(leftovers(d.child.pid!, d.tmp), []);
  assert.deepEqual(tmpEntries(d.tmp), []);
});

test('example-gateway and fake-platform started by hand: SIGHUP stops each cleanly, as SIGTERM does', { timeout: 60_000 }, async (t) => {
  const cli = join(builtDist(), 'cli.js');
  const home = mkdtempSync(join(tmpdir(), 'hh-by-hand-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const started = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [cli, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let text = '';
    child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    t.after(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    });
    const until = async (re: RegExp) => {
      const end = Date.now() + 20_000;
      while (!re.test(text)) {
        assert.ok(Date.now() < end && child.exitCode === null, `no ${re} in:\n${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { child, exited, until, text: () => text };
  };
  const platform = started(['fake-platform', '--port', '0', '--rate', '5']);
  await platform.until(/^http:\/\/127\.0\.0\.1:\d+$/m);
  const url = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(platform.text())![1]!;
  const gateway = started(['example-gateway', '--home', home, '--platform', url, '--init-ms', '50', '--poll-timeout', '2'], { HERMES_HANDOFF_ID: '', HERMES_RELEASE: 'r1' });
  await gateway.until(/serving/);
  assert.ok(existsSync(join(home, 'run', 'handoff.sock')));

  process.kill(gateway.child.pid!, 'SIGHUP');
  assert.equal(await gateway.exited, 0, gateway.text());
  assert.match(gateway.text(), /SIGTERM: stopping/);
  assert.deepEqual(leftovers(gateway.child.pid!, home), []);

  process.kill(platform.child.pid!, 'SIGHUP');
  assert.equal(await platform.exited, 0, platform.text());
  assert.match(platform.text(), /fake-platform: stopped on SIGTERM/);
  assert.deepEqual(leftovers(platform.child.pid!, home), []);
});
