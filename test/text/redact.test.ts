// Credentials in host text that nobody told the run about (issue 9 item 4): redacted before any sink,
// while the action's own words, ids, paths, fingerprints and public keys stay readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactCredentials } from '../../src/text/redact.ts';

const R = '[redacted]';

test('each kind of credential is redacted', () => {
  const cases: Array<[string, string]> = [
    ["fatal: unable to access 'https://deploy:gh0st-Pw9@git.example.com/h.git/'", `fatal: unable to access 'https://${R}@git.example.com/h.git/'`],
    ['remote https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x', `remote https://${R}@github.com/x`],
    ['OPENAI_API_KEY=sk-live-51Hh2Kq9ZxW3vT8mN4pR7 model=gpt', `OPENAI_API_KEY=${R} model=gpt`],
    ['db connect password=hunter2 host=db', `db connect password=${R} host=db`],
    ['--passwd=x1 --secret="two words" token=\'q\'', `--passwd=${R} --secret="${R}" token='${R}'`],
    ['GET /x?access_token=abc123&page=2', `GET /x?access_token=${R}&page=2`],
    ['{"api_key": "abc", "password":"x y", "name": "n"}', `{"api_key": "${R}", "password":"${R}", "name": "n"}`],
    ['API_KEY: abcdef12 X-Api-Key: zz9 Password: hunter2 secret: s3', `API_KEY: ${R} X-Api-Key: ${R} Password: ${R} secret: ${R}`],
    ['Authorization: Basic dXNlcjpwYXNz', `Authorization: ${R}`],
    ['curl -H "Authorization: Bearer abc.def.ghi"', `curl -H "Authorization: ${R}`],
    ['sent Bearer eyJhbGciOiJIUzI1NiJ9abc to it', `sent Bearer ${R} to it`],
    ['key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 loaded', `key ${R} loaded`],
    ['aws wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY1 ok', `aws ${R} ok`],
    ['bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw started', `bot ${R} started`],
    ['discord MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs ok', `discord ${R} ok`],
    ['gh: ghs_16C7e42F292c6912E7710c838347Ae178B4a', `gh: ${R}`],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nafter', '[redacted private key]\nafter'],
    ['cut off: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz', 'cut off: [redacted private key]'],
  ];
  for (const [input, want] of cases) assert.equal(redactCredentials(input), want, input);
});

test("the action's own words, ids, paths, fingerprints and public keys are left alone", () => {
  const keep = [
    'green (pid 4242) exited during the bake',
    'reserved handoff 20261130T073822-r2-e99cc8 for release r2',
    'started green (launcher pid 21904); log /tmp/hh-world-IvqTV8/home/logs/green-20261130T073822-relABCdef123-e99cc8.log',
    'the handoff token /srv/hermes/Run2024ABCdefGHIjkl/run/handoff.token is not a token this protocol writes',
    'No github-token: the commit status, comments and issues are skipped',
    'the host offered SHA256:ah3AGhNCDNbkapvZf4L9UrY2vtXw0aAA/Nqtz/JQGm0, expected SHA256:ab3AGhNCDNbkapvZf4L9UrY2vtXw0aAA/Nqtz/JQGm1',
    'add: 127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHGn7X8aDl3sYBS6XsoF+FcCgvvkT2aH9uzYxZK4fT3D',
    'error rate 100% > 5% in 3 consecutive samples',
    'host key: SHA256:x and the private-key: input',
    'bake of 1.5 s passed: 10 heartbeats, 108 messages, error rate 0%, worst p99 51 ms',
    'commit 2c26b46 deployed',
  ];
  for (const t of keep) assert.equal(redactCredentials(t), t, t);
  // The run's own values are kept even when they look random (a release named by a commit id).
  const sha = '2c26b46b68ffc68ff99b453c1d30413413422d70';
  assert.equal(redactCredentials(`release ${sha} already serves`, [sha]), `release ${sha} already serves`);
  assert.equal(redactCredentials(`release ${sha} already serves`), `release ${R} already serves`);
});

test('never throws and stays linear on adversarial input (property, and 1 MB of the worst shapes)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
      assert.equal(typeof redactCredentials(s), 'string');
    }),
    { numRuns: 2_000 },
  );
  for (const unit of ['a', '-.', 'key', 'a_', '-----BEGIN RSA PRIVATE KEY-----\n', 'https://', 'Authorization:', 'aB3/', 'ab12', 'x=']) {
    const big = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const started = Date.now();
    redactCredentials(big);
    assert.ok(Date.now() - started < 3_000, `${JSON.stringify(unit)} x 1 MB took ${Date.now() - started} ms`);
  }
});
