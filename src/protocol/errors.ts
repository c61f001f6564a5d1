import { clip } from './clip.ts';
import type { ErrorCode, Outgoing } from './frames.ts';

/** The one way to build an ERROR frame: the message is cut to fit a frame, `frame` to 64 characters. */
export function errorFrame(code: ErrorCode, message: string, frame?: string, fatal = false): Extract<Outgoing, { type: 'ERROR' }> {
  return { type: 'ERROR', code, message: clip(message, 1024), fatal, ...(frame ? { frame: frame.slice(0, 64) } : {}) };
}
