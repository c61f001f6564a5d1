// The platforms' pure accounting: the message book and the takeover judge, by property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageBook } from '../../examples/gateway/platform/message-book.ts';
import { TakeoverJudge } from '../../examples/gateway/platform/takeovers.ts';

type BookOp =
  | { op: 'add'; chat: number }
  | { op: 'deliver'; i: number }
  | { op: 'reply'; chat: number; i: number | null }
  | { op: 'clock'; i: number }
  | { op: 'wait'; ms: number };

const bookOp: fc.Arbitrary<BookOp> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), chat: fc.nat(3) }),
  fc.record({ op: fc.constant('deliver' as const), i: fc.nat(40) }),
  fc.record({ op: fc.constant('reply' as const), chat: fc.nat(3), i: fc.option(fc.nat(40), { nil: null }) }),
  fc.record({ op: fc.constant('clock' as const), i: fc.nat(40) }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.nat(150) }),
);

test('message book: every answer is counted once, by how it matched; lost only after a clock and the grace', () => {
  fc.assert(
    fc.property(fc.array(bookOp, { maxLength: 200 }), (ops) => {
      const book = new MessageBook(100);
      let now = 0;
      let answers = 0;
      const answered = new Set<number>();
      const clocked = new Map<number, number>();
      const firstAnswer = new Map<number, number>();
      for (const o of ops) {
        if (o.op === 'add') book.add(String(o.chat), String(book.size), now);
        else if (o.op === 'deliver' && o.i < book.size) book.delivered(o.i);
        else if (o.op === 'reply') {
          const target = o.i !== null && o.i < book.size ? o.i : null;
          const r = book.reply(String(o.chat), target, now);
          if (r.match !== 'unmatched') {
            answers++;
            answered.add(r.index as number);
            if (!firstAnswer.has(r.index as number)) firstAnswer.set(r.index as number, now);
          }
          if (target !== null) assert.equal(r.index, target);
        } else if (o.op === 'clock' && o.i < book.size) {
          if (!clocked.has(o.i)) clocked.set(o.i, now);
          book.startClock(o.i, now);
        } else if (o.op === 'wait') now += o.ms;
      }
      const c = book.counts(now);
      assert.equal(c.produced, book.size);
      assert.equal(c.replied, answered.size);
      assert.equal(c.pending, c.produced - c.replied);
      assert.equal(c.matched.reference + c.matched.oldest, answers, 'every matched answer counted once');
      assert.equal(c.duplicated, answers - answered.size);
      let lost = 0;
      for (const [i, at] of clocked) {
        const first = firstAnswer.get(i);
        if (at + 100 <= now && (first === undefined || first > at + 100)) lost++;
      }
      assert.equal(c.lost, lost);
    }),
    { numRuns: 300 },
  );
});

test('an answer without a reference takes the oldest delivered, unanswered message of its chat', () => {
  const book = new MessageBook(0);
  const a = book.add('c', '1', 0);
  const b = book.add('c', '2', 0);
  const other = book.add('d', '1', 0);
  assert.deepEqual(book.reply('c', null, 1), { match: 'unmatched', index: null }, 'nothing delivered yet');
  book.delivered(b);
  book.delivered(a);
  book.delivered(other);
  assert.deepEqual(book.reply('c', b, 1), { match: 'reference', index: b });
  assert.deepEqual(book.reply('c', null, 1), { match: 'oldest', index: a }, 'b is answered; a was delivered after it but is unanswered');
  assert.deepEqual(book.reply('c', null, 1), { match: 'unmatched', index: null });
});

type JudgeOp = { op: 'ended'; loser: number; winner: number; dt: number } | { op: 'seen'; who: number; dt: number };

test('takeover judge: every ending is counted once; with no return and no counter-ending, all are takeovers', () => {
  const judgeOp: fc.Arbitrary<JudgeOp> = fc.oneof(
    fc.record({ op: fc.constant('ended' as const), loser: fc.nat(4), winner: fc.nat(4), dt: fc.nat(500) }),
    fc.record({ op: fc.constant('seen' as const), who: fc.nat(4), dt: fc.nat(500) }),
  );
  fc.assert(
    fc.property(fc.array(judgeOp, { maxLength: 100 }), (ops) => {
      const judge = new TakeoverJudge(300);
      let now = 0;
      let endings = 0;
      for (const o of ops) {
        now += o.dt;
        if (o.op === 'ended') {
          judge.ended(now, `p${o.loser}`, `p${o.winner}`);
          endings++;
        } else judge.seen(now, `p${o.who}`);
      }
      const c = judge.counts();
      assert.equal(c.takeovers + c.conflicts, endings);
    }),
    { numRuns: 300 },
  );
  // A chain of handovers, each to a new listener, the old ones gone: all takeovers.
  const judge = new TakeoverJudge(300);
  for (let i = 0; i < 5; i++) judge.ended(i * 1000, `p${i}`, `p${i + 1}`);
  assert.deepEqual(judge.counts(), { takeovers: 5, conflicts: 0 });
  // The same chain 10 ms apart: each winner is ended at once by the next: a fight.
  const fast = new TakeoverJudge(300);
  for (let i = 0; i < 5; i++) fast.ended(i * 10, `p${i}`, `p${i + 1}`);
  assert.deepEqual(fast.counts(), { takeovers: 0, conflicts: 5 });
  // Reset: older endings no longer count, even when they turn into conflicts later.
  const r = new TakeoverJudge(300);
  r.ended(0, 'a', 'b');
  r.reset();
  r.seen(10, 'a');
  assert.deepEqual(r.counts(), { takeovers: 0, conflicts: 0 });
});
