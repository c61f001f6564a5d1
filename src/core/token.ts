// The socket token as read from the host: checked against the one format the protocol writes
// (docs/protocol.md 2.3) before anything uses it, masks it or sends it. Pure: no I/O.

/** 32 random bytes as 64 lowercase hex digits: the only token the protocol writes. */
export const HOST_TOKEN = /^[0-9a-f]{64}$/;

/** Why `raw` (the contents of `file`) is not a socket token, or null when it is one (surrounding white space is allowed). Never echoes the contents. */
export function hostTokenProblem(raw: string, file: string): string | null {
  const t = raw.trim();
  if (HOST_TOKEN.test(t)) return null;
  const found =
    t.length === 0
      ? 'it is empty'
      : t.length !== 64
        ? `it holds ${t.length} characters`
        : 'its 64 characters are not all lowercase hex digits';
  return `the handoff token ${file} is not a token this protocol writes: expected 64 lowercase hex digits (docs/protocol.md 2.3), but ${found}; check what wrote it (the gateway writes it when it first listens), or remove it and restart the gateway so it writes a new one`;
}

/** The token in `raw` (the contents of `file`), trimmed; throws an Error naming the file and what was expected when it is not 64 lowercase hex digits. */
export function hostToken(raw: string, file: string): string {
  const problem = hostTokenProblem(raw, file);
  if (problem) throw new Error(problem);
  return raw.trim();
}
