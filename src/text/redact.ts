// Redaction of credentials the run does not know of: what green logs, what a prepare command prints,
// what a reason quotes. The scrubber removes the run's own secrets; this removes what looks like
// someone else's (an API key the gateway logs, a password in a git remote URL). Every pattern is
// linear (bounded repetition, no nested quantifiers), so no host text can make it slow or throw.

/** What a redacted credential becomes. */
export const REDACTED_CREDENTIAL = '[redacted]';

/** Names whose value is a credential in `name=value` (and quoted or compound `name: value`) text. */
const NAME = '[A-Za-z0-9_.-]{0,64}?(?:key|token|passw(?:or)?d|pwd|secret|credentials?)[A-Za-z0-9_.-]{0,64}';
/** A value after `=` or `:`: quoted, or a run up to white space or a separator. */
const VALUE = `"[^"\\r\\n]{0,4096}"|'[^'\\r\\n]{0,4096}'|[^\\s&;,'"<>]{1,4096}`;

/**
 * Hex runs of 32 characters and more (128 bits: the smallest random secret in common use; the
 * socket token is 64) are redacted. Shorter runs are left, so short commit ids, handoff ids and
 * request ids stay readable; a full 40-character commit id is redacted too, unless it is one of the
 * run's own values (`keep`), because nothing tells it apart from a 160-bit key.
 */
export const HEX_RUN_MIN = 32;
/**
 * Base64 (and base64url) runs of 32 characters and more that mix upper case, lower case and digits
 * (random keys almost always do; paths, words and kebab-case names almost never do) are redacted.
 * A base64url run counts only when one of its `-`/`_`-separated parts is 16 or more characters, so
 * ids made of short parts (a handoff id: time, release, random) stay readable. A run with `/` is
 * judged part by part (a path's parts are names), so a standard-base64 secret whose `/` cut it
 * into parts shorter than 32 is found only by a rule above (its name, its block, its prefix).
 */
export const BASE64_RUN_MIN = 32;

interface Rule {
  /** What it finds, in words (docs and tests). */
  what: string;
  re: RegExp;
  replace: (m: string, ...groups: string[]) => string;
}

const quoteLike = (v: string) => (v.startsWith('"') ? `"${REDACTED_CREDENTIAL}"` : v.startsWith("'") ? `'${REDACTED_CREDENTIAL}'` : REDACTED_CREDENTIAL);

/** The rules, in the order they run (the widest first, so a private key is one redaction, not many). */
export const RULES: readonly Rule[] = [
  {
    what: 'a private key block (PEM, OpenSSH, PGP), or its start when the end is cut off',
    re: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,20}-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,20}-----|$)/g,
    replace: () => `[redacted private key]`,
  },
  {
    what: 'the user and password of a URL (https://user:pass@host)',
    re: /\b([A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/)[^\s/?#@]{1,512}@/g,
    replace: (_m, scheme) => `${scheme}${REDACTED_CREDENTIAL}@`,
  },
  {
    what: 'the value of an Authorization or Proxy-Authorization header',
    re: /\b((?:proxy-)?authorization)(["']?[ \t]{0,3}[:=][ \t]{0,3})[^\r\n]{1,4096}/gi,
    replace: (_m, name, sep) => `${name}${sep}${REDACTED_CREDENTIAL}`,
  },
  {
    what: 'a bearer token',
    re: /\b(bearer)[ \t]{1,3}[A-Za-z0-9._~+/=-]{8,4096}/gi,
    replace: (_m, word) => `${word} ${REDACTED_CREDENTIAL}`,
  },
  {
    what: 'the value of key=, token=, password=, passwd=, pwd=, secret= (any name containing them)',
    // A name starts where a run of name characters starts: one attempt per run keeps this linear.
    re: new RegExp(`(?<![A-Za-z0-9_.-])(${NAME})([ \\t]{0,3}=[ \\t]{0,3})(${VALUE})`, 'gi'),
    replace: (_m, name, sep, value) => `${name}${sep}${quoteLike(value)}`,
  },
  {
    what: 'the value of a quoted "key": "value" pair with such a name (JSON, YAML)',
    re: new RegExp(`(["'])(${NAME})\\1([ \\t]{0,3}:[ \\t]{0,3})(${VALUE})`, 'gi'),
    replace: (_m, q, name, sep, value) => `${q}${name}${q}${sep}${quoteLike(value)}`,
  },
  {
    what: 'the value after a colon of a compound name in env or header style (API_KEY:, db_password:, X-Api-Key:) or of password:/passwd:/secret:',
    re: /(?<![A-Za-z0-9_./-])((?:[A-Za-z0-9]{1,32}[_-]){1,4}(?:key|token|secret|passw(?:or)?d|pwd)(?:[_-][A-Za-z0-9]{1,32}){0,3}|passw(?:or)?d|secret)([ \t]{0,3}:[ \t]{1,3})([^\s,;'"<>]{1,4096})/gi,
    // All-lowercase kebab-case names are how this action names its inputs in prose ("github-token: ..."), not credentials.
    replace: (m, name, sep) => (name.includes('-') && !name.includes('_') && name === name.toLowerCase() ? m : `${name}${sep}${REDACTED_CREDENTIAL}`),
  },
  {
    what: 'a token with a well-known prefix (GitHub, GitLab, Slack, OpenAI-style sk-, AWS access key id)',
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255}|glpat-[A-Za-z0-9_-]{20,255}|xox[abposr]-[A-Za-z0-9-]{10,255}|sk-[A-Za-z0-9_-]{20,255}|AKIA[0-9A-Z]{16})\b/g,
    replace: () => REDACTED_CREDENTIAL,
  },
  {
    what: 'a Telegram bot token (digits:secret)',
    re: /\b\d{6,12}:[A-Za-z0-9_-]{30,64}\b/g,
    replace: () => REDACTED_CREDENTIAL,
  },
  {
    what: 'a three-part dotted token (a JWT, a Discord bot token)',
    re: /\b[A-Za-z0-9_-]{20,2048}\.[A-Za-z0-9_-]{6,2048}\.[A-Za-z0-9_-]{20,2048}\b/g,
    replace: () => REDACTED_CREDENTIAL,
  },
];

const HEX_RUN = new RegExp(`(?<![A-Za-z0-9])[0-9A-Fa-f]{${HEX_RUN_MIN},}(?![A-Za-z0-9])`, 'g');
const B64_RUN = new RegExp(`(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{${BASE64_RUN_MIN},}={0,2}`, 'g');
/** Public material that looks random but is not secret: a key fingerprint, a public key. */
const PUBLIC_BEFORE = /(?:SHA(?:1|256|384|512):|(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp\d{3}|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)[ \t]+)$/i;

/** A run of BASE64_RUN_MIN or more that mixes upper case, lower case and digits, with a part of 16 or more between its `-`/`_` separators. */
function randomLooking(part: string): boolean {
  const body = part.replace(/=+$/, '');
  if (body.length < BASE64_RUN_MIN || !/[A-Z]/.test(body) || !/[a-z]/.test(body) || !/[0-9]/.test(body)) return false;
  return !/[_-]/.test(body) || /[A-Za-z0-9+]{16,}/.test(body);
}

/**
 * `text` with credentials it does not know of replaced by `[redacted]`: private key blocks, URL
 * passwords, Authorization headers, bearer tokens, `key=`/`token=`/`password=`/`secret=` values,
 * well-known token formats, and long random-looking hex and base64 runs (see HEX_RUN_MIN,
 * BASE64_RUN_MIN). A run that is part of one of `keep` (the run's own release, runtime, target,
 * handoff id: not secrets) is left alone, and so are key fingerprints and public keys. Never throws.
 */
export function redactCredentials(text: string, keep: readonly string[] = []): string {
  let s = typeof text === 'string' ? text : String(text);
  for (const r of RULES) s = s.replace(r.re, r.replace as (m: string, ...g: string[]) => string);
  const kept = (run: string) => keep.some((k) => k.length > 0 && k.includes(run));
  s = s.replace(HEX_RUN, (run: string) => (/[0-9]/.test(run) && /[A-Fa-f]/.test(run) && !kept(run) ? REDACTED_CREDENTIAL : run));
  s = s.replace(B64_RUN, (run: string, at: number, whole: string) => {
    if (PUBLIC_BEFORE.test(whole.slice(Math.max(0, at - 48), at))) return run;
    // A path's parts are names: each `/`-separated part is judged on its own.
    return run
      .split('/')
      .map((part) => (randomLooking(part) && !kept(part) ? REDACTED_CREDENTIAL : part))
      .join('/');
  });
  return s;
}
