import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);

// src/report/escape.ts
var HTML = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "@": "&#64;" };
function escapeMarkdown(text) {
  return text.replace(/[\r\n\t]+/g, " ").replace(/[&<>"@\\`*_{}[\]()#!|~]/g, (c) => HTML[c] ?? `\\${c}`);
}
function codeBlock(text, lang = "") {
  let longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length)), fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}
${text.replace(/\r\n?/g, `
`).replace(/\n+$/, "")}
${fence}`;
}
function mermaidLabel(text) {
  return text.replace(/[^A-Za-z0-9 ._-]/g, " ").replace(/\s+/g, " ").trim().slice(0, 40) || "phase";
}
function safeUrl(url) {
  return !url || !/^https?:\/\/\S+$/i.test(url) ? null : url.replace(/[()<>"'`\\[\]]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

// src/report/markdown.ts
var HEALTH_ROWS = 30, TIMELINE_ROWS = 100, LOG_LINES = 80, LOG_CHARS = 8e3, HEADLINE = {
  promoted: "\u2705 Promoted",
  unchanged: "\u2705 Unchanged",
  ready: "\u2705 Ready",
  "rolled-back": "\u21A9\uFE0F Rolled back",
  failed: "\u274C Failed",
  "timed-out": "\u23F1\uFE0F Timed out",
  "not-ready": "\u274C Not ready"
};
function formatDuration(ms) {
  if (ms == null || !Number.isFinite(ms)) return "\u2014";
  if (ms < 1e3) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 6e4) return `${(ms / 1e3).toFixed(1)} s`;
  let s = Math.round(ms / 1e3);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}
function rel(at, base) {
  return `+${((at - base) / 1e3).toFixed(3)} s`;
}
function table(head, rows) {
  return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join(`
`);
}
function spread(xs, n) {
  if (xs.length <= n) return xs;
  let out = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.round(i * (xs.length - 1) / (n - 1))]);
  return out;
}
function clock(ms) {
  let t = Math.max(0, Math.min(ms, 86399999)), h = Math.floor(t / 36e5), m = Math.floor(t % 36e5 / 6e4), s = Math.floor(t % 6e4 / 1e3), f = Math.floor(t % 1e3);
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${String(f).padStart(3, "0")}`;
}
function gantt(timeline, base, end) {
  if (timeline.length === 0) return "";
  let lastAt = timeline[timeline.length - 1]?.at ?? base, total = Math.max(end, lastAt) - base, tail = Math.max(50, Math.round(total * 0.02)), lines = ["```mermaid", "gantt", "  title Handoff phases (min:s from the first phase)", "  dateFormat HH:mm:ss.SSS", "  axisFormat %M:%S", "  section phases"];
  return timeline.slice(0, TIMELINE_ROWS).forEach((e, i) => {
    let next = timeline[i + 1], start = e.at - base, stop = next ? Math.max(next.at - base, start + 1) : Math.max(end - base, start + tail);
    lines.push(`  ${mermaidLabel(e.phase)} :p${i}, ${clock(start)}, ${clock(stop)}`);
  }), lines.push("```"), lines.join(`
`);
}
function healthTable(health, base) {
  let rows = spread(health, HEALTH_ROWS).map((h) => {
    let rate = h.handled > 0 ? `${(h.errors / h.handled * 100).toFixed(1)} %` : "\u2014";
    return [String(h.seq), rel(h.at, base), String(h.handled), String(h.errors), rate, formatDuration(h.latency_p50_ms), formatDuration(h.latency_p99_ms)];
  }), note = health.length > HEALTH_ROWS ? `

${HEALTH_ROWS} of ${health.length} samples, evenly spread.` : "";
  return table(["#", "at", "handled", "errors", "error rate", "p50", "p99"], rows) + note;
}
function tailOf(log) {
  let text = log.replace(/\r\n?/g, `
`).replace(/\n+$/, "").split(`
`).slice(-LOG_LINES).join(`
`);
  return text.length > LOG_CHARS ? text.slice(text.length - LOG_CHARS) : text;
}
function renderReport(outcome, opts = {}) {
  let o = outcome, out = [];
  opts.marker && out.push(opts.marker), out.push(`### ${HEADLINE[o.verdict]}: ${escapeMarkdown(o.reason) || "no reason given"}`);
  let details = [
    ["Target", escapeMarkdown(o.target_name)],
    ["Mode", o.mode],
    ["Release", escapeMarkdown(o.release)],
    ["Runtime", escapeMarkdown(o.runtime)],
    ["Handoff id", o.handoff_id ? escapeMarkdown(o.handoff_id) : "\u2014"],
    ["Duration", formatDuration(o.duration_ms)],
    ["Bake", formatDuration(o.bake_ms)],
    ["Dark window", formatDuration(o.dark_window_ms)],
    ["Blue / green pid", `${o.blue_pid ?? "\u2014"} / ${o.green_pid ?? "\u2014"}`]
  ];
  out.push(table(["", ""], details));
  let base = o.timeline[0]?.at ?? o.health[0]?.at ?? 0, end = Math.max(base, ...o.timeline.map((e) => e.at), ...o.health.map((h) => h.at));
  if (o.timeline.length > 0) {
    out.push("#### Timeline");
    let rows = o.timeline.slice(0, TIMELINE_ROWS).map((e) => [escapeMarkdown(e.phase), rel(e.at, base), e.note ? escapeMarkdown(e.note) : ""]);
    out.push(table(["phase", "at", "note"], rows)), o.timeline.length > TIMELINE_ROWS && out.push(`${TIMELINE_ROWS} of ${o.timeline.length} entries shown.`), out.push(gantt(o.timeline, base, end));
  }
  o.health.length > 0 && (out.push("#### Health over the bake"), out.push(healthTable(o.health, base))), o.checks.length > 0 && (out.push("#### Preflight checks"), out.push(table(["check", "result", "detail"], o.checks.map((c) => [escapeMarkdown(c.name), c.ok ? "\u2705 ok" : "\u274C failed", escapeMarkdown(c.detail)])))), o.green_log_tail && o.green_log_tail.trim() !== "" && out.push(`<details><summary>Green's log (last lines)</summary>

${codeBlock(tailOf(o.green_log_tail), "text")}

</details>`);
  let url = safeUrl(opts.runUrl);
  return url && out.push(`[Open the run](${url})`), `${out.join(`

`)}
`;
}

export {
  escapeMarkdown,
  safeUrl,
  renderReport
};
