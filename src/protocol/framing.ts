import { clip } from './clip.ts';
import { Frame, FRAME_SCHEMAS, isFrameType, PROTOCOL_VERSION, type ErrorCode, type Outgoing } from './frames.ts';

/** The longest line, newline excluded, that either side accepts. */
export const MAX_LINE_BYTES = 64 * 1024;

export type Decoded =
  | { ok: true; frame: Frame }
  | { ok: false; code: ErrorCode; message: string; frame?: string; fatal: boolean };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest error message a decode result carries: it must fit an ERROR frame whatever the input was. */
const MAX_MESSAGE = 1024;

/** Serialises a frame as one NDJSON line, filling in `v`; throws if it would exceed the line limit. */
export function encodeFrame(frame: Outgoing): string {
  const line = JSON.stringify({ ...frame, v: frame.v ?? PROTOCOL_VERSION });
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) throw new Error(`${frame.type} frame is larger than ${MAX_LINE_BYTES} bytes`);
  return line + '\n';
}

/** Decodes one line (without its newline) into a frame or a described error. */
export function decodeLine(bytes: Uint8Array): Decoded {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: 'bad_frame', message: 'line is not valid UTF-8', fatal: true };
  }
  let value: unknown;
  try {
    // A number literal too large for a double (1e400, 400 digits) is not a number of this protocol.
    value = JSON.parse(text, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError('not finite');
      return v;
    });
  } catch {
    return { ok: false, code: 'bad_frame', message: 'line is not valid JSON', fatal: true };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad_frame', message: 'a frame must be a JSON object', fatal: true };
  }
  const { type, v } = value as { type?: unknown; v?: unknown };
  if (typeof type !== 'string') return { ok: false, code: 'bad_frame', message: 'a frame needs a string "type"', fatal: true };
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    return { ok: false, code: 'bad_frame', message: `${type.slice(0, 64)}: "v" must be an integer >= 1`, frame: type.slice(0, 64), fatal: true };
  }
  // A newer peer may send types we do not know: say so, keep the connection.
  if (!isFrameType(type)) return { ok: false, code: 'unknown_type', message: `unknown frame type ${JSON.stringify(type.slice(0, 64))}`, frame: type.slice(0, 64), fatal: false };
  const parsed = FRAME_SCHEMAS[type].safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'frame';
    // A path can hold a client's own (huge) record key: clip it so the ERROR frame stays valid.
    return { ok: false, code: 'bad_frame', message: clip(`${type}: ${clip(where, 200)}: ${issue?.message ?? 'invalid'}`, MAX_MESSAGE), frame: type, fatal: true };
  }
  return { ok: true, frame: parsed.data as Frame };
}

/**
 * Splits a byte stream into NDJSON frames. Pure: feed it chunks, read results.
 * After a fatal result it decodes nothing more (the connection is to be closed).
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private dead = false;

  /** Decodes every complete line in `chunk` plus what was buffered before it. */
  push(chunk: Uint8Array): Decoded[] {
    const out: Decoded[] = [];
    if (this.dead) return out;
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        // Refuse before keeping anything, so memory stays bounded by one line. One byte over the
        // limit can still end well only if it is the CR of a CRLF.
        const size = this.size + buf.length;
        if (size > MAX_LINE_BYTES + 1 || (size === MAX_LINE_BYTES + 1 && buf.length > 0 && buf[buf.length - 1] !== 0x0d)) return this.fail(out);
        // Copy: the caller may reuse its buffer for the next read.
        if (buf.length > 0) this.parts.push(Buffer.from(buf));
        this.size += buf.length;
        return out;
      }
      const lineLen = this.size + nl;
      if (lineLen > MAX_LINE_BYTES + 1) return this.fail(out);
      let line = this.size === 0 ? buf.subarray(0, nl) : Buffer.concat([...this.parts, buf.subarray(0, nl)]);
      this.parts = [];
      this.size = 0;
      buf = buf.subarray(nl + 1);
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > MAX_LINE_BYTES) return this.fail(out);
      if (line.length === 0) continue;
      const d = decodeLine(line);
      out.push(d);
      if (!d.ok && d.fatal) {
        this.dead = true;
        return out;
      }
    }
  }

  /** Bytes of an unfinished line held so far. */
  get pending(): number {
    return this.size;
  }

  private fail(out: Decoded[]): Decoded[] {
    this.dead = true;
    this.parts = [];
    this.size = 0;
    out.push({ ok: false, code: 'too_large', message: `line longer than ${MAX_LINE_BYTES} bytes`, fatal: true });
    return out;
  }
}
