// Hidden HTML comments that let a rerun find its own comment or failure issue again.

/** A target name made safe inside an HTML comment (no `--`, `>`, or line breaks). */
function markerName(target: string): string {
  return target.replace(/[^A-Za-z0-9._/:@+-]/g, '_').replace(/-{2,}/g, '-').slice(0, 100);
}

/** The marker that starts the report comment for `target` on a PR or issue. */
export function commentMarker(target: string): string {
  return `<!-- hermes-handoff:${markerName(target)} -->`;
}

/** The marker in the body of the open failure issue for `target`. */
export function failureMarker(target: string): string {
  return `<!-- hermes-handoff-failure:${markerName(target)} -->`;
}

/** True when `body` carries `marker` (a forge may normalise line endings, never the marker itself). */
export function hasMarker(body: string | null | undefined, marker: string): boolean {
  return typeof body === 'string' && body.includes(marker);
}

/** The marker of a comment about one handoff (`key`: its id) on the failure issue, so reporting it again edits that comment. */
export function eventMarker(target: string, key: string): string {
  return `<!-- hermes-handoff-event:${markerName(target)}:${markerName(key)} -->`;
}
