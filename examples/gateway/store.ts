// The reference gateway's durable transcript store: an fsync'd, append-only NDJSON log in
// HERMES_HOME/store/transcript.log, shared by blue and green (two processes), no native addons.
//
// Lines after the `{"schema":1}` header, each keyed by the adapter's name (`platform`):
//   {"platform","update_id","pid","text","at"}                       a Telegram answer (update_id: the dedupe id)
//   {"platform","message_id","session_id","seq","pid","text","at"}   a Discord answer (message_id: a snowflake string)
//   {"platform","session":{"session_id","seq","resume_gateway_url"},"at"}   where a Discord session stands (seq: processed up to it)
//   {"platform","offset","at"}                                       where Telegram polling stands (every update below answered)
// The Telegram line is the one the Python reference gateway shares; a reader skips (and counts) what it
// does not know. What green may write before HANDOFF_COMPLETE: only answer and session records,
// appended to this same log in this same schema. They are facts ("this update was
// answered"), never edits, so blue can read every one of them after a rollback and they stop blue
// from answering those updates twice. Green never rewrites, truncates, compacts or migrates the log
// before COMPLETE. A schema change (a new STORE_SCHEMA) is made only by the sole owner after
// COMPLETE, by writing a new log beside this one and renaming it into place; a process that finds a
// schema it does not know refuses to open the store rather than misread it.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Version of the log's line format; the first line of the log is `{"schema":1}`. */
export const STORE_SCHEMA = 1;

const Header = z.object({ schema: z.number().int() });
const Name = z.string().min(1).max(64);
const TelegramLine = z.object({ platform: Name, update_id: z.number().int(), pid: z.number().int(), text: z.string(), at: z.number().int() });
const DiscordLine = z.object({
  platform: Name,
  message_id: z.string().min(1).max(64),
  session_id: z.string().min(1).max(128),
  seq: z.number().int().nonnegative(),
  pid: z.number().int(),
  text: z.string(),
  at: z.number().int(),
});
const OffsetLine = z.object({ platform: Name, offset: z.number().int().nonnegative(), at: z.number().int() });
const SessionLine = z.object({
  platform: Name,
  session: z.object({ session_id: z.string().min(1).max(128), seq: z.number().int().nonnegative(), resume_gateway_url: z.string().min(1).max(512) }),
  at: z.number().int(),
});

/** How long flushSoon() gathers records before one fsync. */
export const GROUP_COMMIT_MS = 50;

/** Largest text kept in a record, so a line stays small and one write. */
const MAX_TEXT = 4096;
const CHUNK = 4 << 20;
const NL = 0x0a;

/** A message's id on its platform: Telegram's update_id (a number), Discord's message id (a snowflake string). */
export type MessageId = number | string;

/** Who answered a message, and with what; a Discord answer also says which dispatch of which session carried it. */
export interface AnsweredBy {
  pid: number;
  text: string;
  dispatch?: { session_id: string; seq: number };
}

/** A Discord session as the store last saw it: where to RESUME it from. */
export interface SessionPosition {
  session_id: string;
  /** Every dispatch up to it processed (answers recorded); a RESUME from it replays the rest. */
  seq: number;
  resume_gateway_url: string;
}

export interface TranscriptStore {
  /** Path of the log file. */
  readonly path: string;
  /** True when message `id` of adapter `platform` was answered, by this process or (after a re-read of the log's tail) by another. */
  has(platform: string, id: MessageId): boolean;
  /** Appends one answer record (one write on an O_APPEND fd, so lines never interleave); durable after flush(). */
  record(platform: string, id: MessageId, by: AnsweredBy): void;
  /**
   * Appends where adapter `platform`'s Discord session stands: its seq is the end of the processed
   * run (everything up to it answered and recorded), never a later one; durable after flush().
   */
  recordSession(platform: string, session: SessionPosition): void;
  /** The latest session position recorded for `platform`, or null when none. */
  sessionOf(platform: string): SessionPosition | null;
  /** fsyncs the log. */
  flush(): void;
  /**
   * fsyncs the log within GROUP_COMMIT_MS, once for every caller meanwhile (a group commit: one fsync
   * per answer costs more than answering on a busy disk); resolves after that fsync.
   */
  flushSoon(): Promise<void>;
  /** Reads the complete lines appended since the last read by any process; returns how many records it added. */
  reload(): number;
  /** Appends where adapter `platform`'s Telegram polling stands: every update below `offset` answered and recorded. */
  recordOffset(platform: string, offset: number): void;
  /**
   * Where to poll `platform` from: the latest offset recorded, moved past the updates recorded
   * right after it (answers are recorded out of order, so the highest one says nothing of a gap
   * below it); without an offset line (a log the Python gateway wrote), the highest recorded id
   * plus one. Null when nothing is recorded.
   */
  nextOffset(platform: string): number | null;
  /** Complete lines that could not be parsed and were skipped. */
  corruptLines(): number;
  /** Closes the log; the store cannot be used afterwards. */
  close(): void;
}

/** Opens (creating if needed) the transcript log under `home`/store and reads it; throws on a schema it does not know. */
export function openStore(home: string): TranscriptStore {
  const dir = join(home, 'store');
  const path = join(dir, 'transcript.log');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  createWithHeader(dir, path);
  let fd: number | null = openSync(path, 'a+', 0o600);

  const answered = new Map<string, Set<MessageId>>();
  const maxId = new Map<string, number>();
  const sessions = new Map<string, SessionPosition>();
  const offsets = new Map<string, number>();
  let readPos = 0;
  let corrupt = 0;
  let sawHeader = false;
  let opened = false;
  let skipping = false;
  let soon: Promise<void> | null = null;

  const useFd = (): number => {
    if (fd === null) throw new Error(`transcript store ${path} is closed`);
    return fd;
  };

  const remember = (platform: string, id: MessageId): boolean => {
    let set = answered.get(platform);
    if (!set) answered.set(platform, (set = new Set()));
    if (set.has(id)) return false;
    set.add(id);
    if (typeof id === 'number') maxId.set(platform, Math.max(maxId.get(platform) ?? -Infinity, id));
    return true;
  };
  const rememberSession = (platform: string, s: SessionPosition): void => {
    const known = sessions.get(platform);
    // The same session seen again (resumed elsewhere) never moves back.
    sessions.set(platform, known && known.session_id === s.session_id ? { ...s, seq: Math.max(known.seq, s.seq) } : { ...s });
  };

  /** Parses one complete line; returns 1 when it added a record. */
  const take = (line: Buffer): number => {
    if (line.length === 0) return 0;
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      corrupt++;
      return 0;
    }
    const header = Header.safeParse(value);
    if (header.success) {
      if (header.data.schema !== STORE_SCHEMA) {
        // As the log's own header it refuses the store; anywhere else it is a stray line (a new schema gets a new file).
        if (opened || sawHeader) {
          corrupt++;
          return 0;
        }
        throw new Error(`transcript store ${path} has schema ${header.data.schema}; this gateway reads schema ${STORE_SCHEMA} only`);
      }
      sawHeader = true;
      return 0;
    }
    const tg = TelegramLine.safeParse(value);
    if (tg.success) return remember(tg.data.platform, tg.data.update_id) ? 1 : 0;
    const dc = DiscordLine.safeParse(value);
    if (dc.success) return remember(dc.data.platform, dc.data.message_id) ? 1 : 0;
    const off = OffsetLine.safeParse(value);
    if (off.success) {
      offsets.set(off.data.platform, Math.max(offsets.get(off.data.platform) ?? 0, off.data.offset));
      return 0;
    }
    const ses = SessionLine.safeParse(value);
    if (ses.success) {
      rememberSession(ses.data.platform, ses.data.session);
      return 0;
    }
    corrupt++;
    return 0;
  };

  const reload = (): number => {
    const f = useFd();
    let added = 0;
    for (;;) {
      const size = fstatSync(f).size;
      if (size <= readPos) return added;
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - readPos));
      const n = readSync(f, buf, 0, buf.length, readPos);
      if (n <= 0) return added;
      // Only complete lines are read; a tail without its newline (a writer killed mid-write) waits.
      const last = buf.lastIndexOf(NL, n - 1);
      if (last < 0) {
        if (n < CHUNK) return added;
        skipping = true; // a line longer than a chunk: not ours; skip to its end
        readPos += n;
        continue;
      }
      let start = 0;
      for (let i = buf.indexOf(NL, 0); i >= 0 && i <= last; i = buf.indexOf(NL, i + 1)) {
        if (skipping) {
          corrupt++;
          skipping = false;
        } else added += take(buf.subarray(start, i));
        start = i + 1;
      }
      readPos += last + 1;
    }
  };

  /** True when the log does not end with a newline (a torn write by a killed process): the next line must start fresh. */
  const tailIsTorn = (f: number): boolean => {
    const size = fstatSync(f).size;
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    return readSync(f, b, 0, 1, size - 1) === 1 && b[0] !== NL;
  };

  try {
    reload();
    // Complete lines but no header: not a store this code wrote.
    if (!sawHeader && readPos > 0) throw new Error(`transcript store ${path} has no {"schema":N} header line; refusing to use it`);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  opened = true;

  const append = (line: string): void => {
    const f = useFd();
    const bytes = Buffer.from(`${tailIsTorn(f) ? '\n' : ''}${line}\n`, 'utf8');
    // One write on an O_APPEND fd: the kernel places it whole at the end, never inside another process's line.
    let off = 0;
    while (off < bytes.length) off += writeSync(f, bytes, off, bytes.length - off);
  };

  return {
    path,
    has(platform, id) {
      if (answered.get(platform)?.has(id)) return true;
      reload();
      return answered.get(platform)?.has(id) ?? false;
    },
    record(platform, id, by) {
      const text = by.text.slice(0, MAX_TEXT);
      const at = Date.now();
      if (typeof id === 'number') append(JSON.stringify({ platform, update_id: id, pid: by.pid, text, at }));
      else {
        if (!by.dispatch) throw new Error(`transcript store: the answer to message ${id} of ${platform} needs the dispatch (session_id, seq) that carried it`);
        append(JSON.stringify({ platform, message_id: id, session_id: by.dispatch.session_id, seq: by.dispatch.seq, pid: by.pid, text, at }));
      }
      remember(platform, id);
    },
    recordSession(platform, session) {
      append(JSON.stringify({ platform, session: { session_id: session.session_id, seq: session.seq, resume_gateway_url: session.resume_gateway_url }, at: Date.now() }));
      rememberSession(platform, session);
    },
    sessionOf(platform) {
      reload();
      const s = sessions.get(platform);
      return s ? { ...s } : null;
    },
    flush() {
      fsyncSync(useFd());
    },
    flushSoon() {
      soon ??= new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          soon = null;
          try {
            fsyncSync(useFd());
            resolve();
          } catch (e) {
            reject(e as Error);
          }
        }, GROUP_COMMIT_MS);
      });
      return soon;
    },
    reload,
    recordOffset(platform, offset) {
      append(JSON.stringify({ platform, offset, at: Date.now() }));
      offsets.set(platform, Math.max(offsets.get(platform) ?? 0, offset));
    },
    nextOffset(platform) {
      let o = offsets.get(platform);
      if (o === undefined) {
        const m = maxId.get(platform);
        return m === undefined ? null : m + 1;
      }
      const ids = answered.get(platform);
      while (ids?.has(o)) o++;
      return o;
    },
    corruptLines: () => corrupt,
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** Creates the log with its header line (exclusive create, so only one process writes it) and makes it durable. */
function createWithHeader(dir: string, path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify({ schema: STORE_SCHEMA })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
