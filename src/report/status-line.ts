// Commit status descriptions: the verdict word, then the cause, within the forges' 140 characters.
// When a line must be cut, the cause is kept first: the context after it goes, then the cause's tail.
import type { Outcome } from '../core/outcome.ts';
import { RERUN_STATUS } from '../core/reasons.ts';
import { VERDICTS } from '../core/verdict.ts';
import { cut, oneLine } from './escape.ts';
import { utcMinute } from './format.ts';
import type { Standing } from './judgement.ts';

/** Forges cap a status description at 140 characters. */
export const DESCRIPTION_MAX = 140;

// What a verdict word already says, when a reason starts with it again ("failed: aborted: ...").
const PREFIX = /^\s*(?:failed|rolled[ -]back|reverted|timed[ -]out|not[ -]ready|aborted|error|cancelled|busy)\s*:\s*/i;
// The rerun hint the description adds itself.
const RERUN_TAIL = /\s*[;,]?\s*\(?\s*rerun with mode: status\s*\)?\s*\.?\s*$/i;

/** `text` on one line, whitespace collapsed, control characters visible. */
export function flat(text: string): string {
  return oneLine(text).replace(/\s+/g, ' ').trim();
}

/** A reason without what its verdict word or the rerun hint already say, and without a part repeated. */
export function causeOf(reason: string): string {
  let s = flat(reason);
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(PREFIX, '').replace(RERUN_TAIL, '');
  }
  const parts: string[] = [];
  for (const p of s.split(/;\s+/)) if (p !== '' && !parts.includes(p)) parts.push(p);
  return parts.join('; ');
}

/** `lead: cause` + `suffix` within `max` characters: the suffix goes first, then the cause is cut. */
export function describeLine(lead: string, cause: string, suffix = '', max = DESCRIPTION_MAX): string {
  const head = cause === '' ? lead : `${lead}: `;
  const whole = `${head}${cause}${suffix}`;
  if (whole.length <= max) return whole;
  const bare = `${head}${cause}`;
  if (bare.length <= max) return bare;
  return cut(bare, max);
}

const release12 = (r: string) => (r === '' ? 'unknown' : r.slice(0, 12));

/** What the observation window adds to a promoted status, or ''. */
function observationNote(o: Pick<Outcome, 'observation'>): string {
  const w = o.observation;
  if (!w) return '';
  if (w.state === 'observing') return w.until === null ? 'observing' : `observing until ${utcMinute(w.until)}`;
  if (w.state === 'passed') return 'observed: the window passed';
  if (w.state === 'superseded') return 'observed until a later handoff';
  if (w.state === 'standby-lost') return 'observation ended early: standby lost';
  return '';
}

/** The final description of `o` for a run whose outcome has standing `standing`. */
export function finalDescription(o: Pick<Outcome, 'verdict' | 'reason' | 'checks' | 'release' | 'busy_with' | 'observation'>, standing: Standing = 'judged'): string {
  const word = VERDICTS[o.verdict].word;
  const cause = causeOf(o.reason);
  const rel = release12(o.release);
  if (standing === 'busy') return describeLine('busy', flat(o.busy_with ?? cause), ' (rerun once it has ended)');
  if (standing === 'nothing-to-report') return describeLine('no verdict', cause);
  const lead = standing === 'other-release' ? `${word} release ${rel} (not this commit)` : word;
  const extra = (...parts: string[]) => {
    const p = parts.filter((x) => x !== '');
    return p.length ? ` (${p.join('; ')})` : '';
  };
  switch (o.verdict) {
    case 'promoted':
      return describeLine(lead, cause, extra(standing === 'other-release' ? '' : `release ${rel}`, observationNote(o)));
    case 'unchanged':
      return describeLine(lead, `release ${rel} already serves`);
    case 'not-ready': {
      const first = o.checks.find((c) => !c.ok);
      return describeLine(lead, first ? `${flat(first.name)}: ${flat(first.detail)}` : cause);
    }
    case 'reverted': {
      const at = o.observation?.ended_at;
      return describeLine(lead, cause, extra(typeof at === 'number' ? `at ${utcMinute(at)}` : ''));
    }
    case 'timed-out':
      return describeLine(lead, cause, ` (${RERUN_STATUS})`);
    default:
      return describeLine(lead, cause);
  }
}

// ---- pending statuses carry their run's deadline, so a later run can tell a dead one ----

const DEADLINE = /; verdict by (?:(\d{4})-(\d{2})-(\d{2}) )?(\d{2}):(\d{2}) UTC$/;

/** The deadline as a pending description ends with it: the time alone within 20 hours of `now`, else the date too. */
function deadlineSuffix(deadlineAt: number, now: number): string {
  const full = utcMinute(Math.ceil(deadlineAt / 60_000) * 60_000);
  return `; verdict by ${deadlineAt - now < 20 * 3600_000 ? full.slice(11) : full}`;
}

/** A pending description: `text` (kept first), then the run's deadline when it fits. */
export function pendingDescription(text: string, deadlineAt: number | null, now: number): string {
  const t = flat(text);
  if (deadlineAt === null) return describeLine(t, '');
  return describeLine(t, '', deadlineSuffix(deadlineAt, now));
}

/** The deadline a pending description written at `writtenAt` names (ms), or null when it names none. */
export function deadlineOf(description: string, writtenAt: number): number | null {
  const m = DEADLINE.exec(description);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m;
  if (y && mo && d) return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  // The time alone: the first such minute at or after the write (a minute's slack for rounding).
  const w = new Date(writtenAt - 60_000);
  let at = Date.UTC(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate(), Number(h), Number(mi));
  if (at < writtenAt - 60_000) at += 24 * 3600_000;
  return at;
}
