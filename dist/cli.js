#!/usr/bin/env node
import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import {
  DEFAULT_DEADLINES,
  Deadlines,
  FrameConn,
  INPUT_NAMES,
  InputError,
  LocalHost,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  SECRET_INPUTS,
  Thresholds,
  clip,
  ensurePrivateDir,
  ensureToken,
  exitCodeFor,
  isSocket,
  outputsOf,
  parseHandoffId,
  promote,
  readSettings,
  readToken,
  readVerdict,
  runSession,
  secretValues,
  shellJoin,
  writeFileAtomic,
  writeVerdict
} from "./chunks/chunk-QDPNF42O.js";
import {
  renderReport
} from "./chunks/chunk-QWZZ5MUP.js";
import {
  createScrubber,
  external_exports
} from "./chunks/chunk-ZGWB6UPF.js";
import "./chunks/chunk-CZ3X2CHL.js";

// examples/gateway/gateway.ts
import { mkdirSync as mkdirSync2, readFileSync as readFileSync2 } from "node:fs";
import { join as join3 } from "node:path";
import { parseArgs } from "node:util";

// src/peer/blue.ts
import { createHash, timingSafeEqual } from "node:crypto";

// src/protocol/health.ts
var num = (x, digits) => String(+x.toFixed(digits));
function pct(x, other) {
  let d = 1;
  for (; d < 4 && other !== void 0 && x !== other && num(x * 100, d) === num(other * 100, d); ) d++;
  return `${num(x * 100, d)}%`;
}
var ms = (x, other) => other !== void 0 && x !== other && Math.round(x) === Math.round(other) ? num(x, 1) : String(Math.round(x)), errorRate = (s) => s.errors === 0 ? 0 : s.errors / Math.max(s.handled, s.errors);
function latencyLimit(baseline, t) {
  return Math.max(baseline.latency_p99_ms * t.max_latency_factor, t.latency_floor_ms);
}
function judgeSample(sample, baseline, t, prev) {
  if (sample.handled === 0 && sample.errors === 0) return { breaches: prev, reason: null };
  let rate = errorRate(sample), limit = latencyLimit(baseline, t), breaches = {
    error: rate > t.max_error_rate ? prev.error + 1 : 0,
    latency: sample.latency_p99_ms > limit ? prev.latency + 1 : 0
  }, n = t.consecutive, samples = n === 1 ? "1 sample" : `${n} consecutive samples`;
  if (breaches.error >= n)
    return { breaches, reason: `error rate ${pct(rate, t.max_error_rate)} > ${pct(t.max_error_rate)} in ${samples}` };
  if (breaches.latency >= n) {
    let p99 = sample.latency_p99_ms;
    return {
      breaches,
      reason: `p99 reply latency ${ms(p99, limit)} ms > ${ms(limit)} ms (${num(t.max_latency_factor, 2)}x blue's ${ms(baseline.latency_p99_ms)} ms, floor ${ms(t.latency_floor_ms)} ms) in ${samples}`
    };
  }
  return { breaches, reason: null };
}
function summariseHealth(samples) {
  let handled = samples.reduce((a, s) => a + s.handled, 0), errors = samples.reduce((a, s) => a + s.errors, 0), p99 = samples.reduce((a, s) => Math.max(a, s.latency_p99_ms), 0), rate = errors === 0 ? 0 : errors / Math.max(handled, errors), n = (k, one) => `${k} ${one}${k === 1 ? "" : "s"}`;
  return `${n(samples.length, "heartbeat")}, ${n(handled, "message")}, error rate ${pct(rate)}, worst p99 ${Math.round(p99)} ms`;
}

// src/protocol/machine.ts
function initialState(self, last = null) {
  return { phase: "idle", deadline: null, self, baseline: { error_rate: 0, latency_p99_ms: 0 }, handoff: null, last_verdict: last };
}
var secs = (ms2) => ms2 >= 1e3 && ms2 % 100 === 0 ? `${ms2 / 1e3} s` : `${ms2} ms`, MAX_REASON = 1024, RECORD_BYTES = 40 * 1024, clip2 = (s) => clip(s, MAX_REASON), jsonBytes = (x) => Buffer.byteLength(JSON.stringify(x));
function thin(xs, bytes) {
  let total = jsonBytes(xs);
  if (total <= bytes) return xs.slice();
  let n = Math.floor(xs.length * bytes / total);
  for (; ; ) {
    let picked = n <= 0 ? [] : n === 1 ? [xs[xs.length - 1]] : Array.from({ length: n }, (_, i) => xs[Math.round(i * (xs.length - 1) / (n - 1))]);
    if (n <= 0 || jsonBytes(picked) <= bytes) return picked;
    n = Math.floor(n * 0.9);
  }
}
function fitRecord(r) {
  let rest2 = jsonBytes({ ...r, health: [] });
  return { ...r, health: thin(r.health, Math.max(0, RECORD_BYTES - rest2)) };
}
var err = (code, message, frame, fatal = !1) => ({
  type: "ERROR",
  code,
  message,
  frame,
  fatal
});
function step(state, ev) {
  let s = { ...state, handoff: state.handoff ? { ...state.handoff } : null }, fx = [], h = s.handoff, enter = (phase, deadline, longNote) => {
    let note = longNote === void 0 ? void 0 : clip2(longNote);
    s.phase = phase, s.deadline = deadline, s.handoff && (s.handoff.timeline = [...s.handoff.timeline, { phase, at: ev.now, ...note ? { note } : {} }], fx.push({ kind: "emit", event: { kind: "phase", handoff_id: s.handoff.id, phase, at: ev.now, ...note ? { note } : {} } }));
  }, decide = (verdict, longReason) => {
    let reason = clip2(longReason), ho = s.handoff;
    enter(verdict === "promoted" ? "complete" : "idle", null, `${verdict}: ${reason}`);
    let record = fitRecord({
      v: PROTOCOL_VERSION,
      handoff_id: ho.id,
      verdict,
      reason,
      release: ho.release,
      runtime: ho.runtime,
      blue_pid: s.self.pid,
      green_pid: ho.green_pid,
      decided_by: "blue",
      decided_at: ev.now,
      dark_window_ms: ho.paused_at !== null && ho.polling_at !== null ? Math.max(0, ho.polling_at - ho.paused_at) : null,
      timeline: ho.timeline.slice(-256),
      health: ho.health.slice(-4096)
    });
    verdict === "promoted" ? (ho.pending = record, s.deadline = ev.now + ho.deadlines.takeover_ms, fx.push({ kind: "record", record }, { kind: "to_green", frame: { type: "HANDOFF_COMPLETE", handoff_id: ho.id, reason } })) : (s.last_verdict = record, fx.push({ kind: "record", record }, { kind: "emit", event: { kind: "verdict", record } }), s.handoff = null);
  }, failBeforeHandover = (longReason, resume) => {
    let reason = clip2(longReason), ho = s.handoff;
    fx.push({ kind: "to_green", frame: { type: "HANDOFF_ROLLBACK", handoff_id: ho.id, reason } }, { kind: "close_green" }), ho.green_pid !== null && fx.push({ kind: "stop_green", pid: ho.green_pid, grace_ms: ho.deadlines.rollback_grace_ms }), resume && fx.push({ kind: "resume", cursors: null }), decide("failed", reason);
  }, beginRollback = (longReason) => {
    let reason = clip2(longReason), ho = s.handoff;
    ho.rollback_reason = reason, fx.push({ kind: "to_green", frame: { type: "HANDOFF_ROLLBACK", handoff_id: ho.id, reason } }), enter("rolling-back", ev.now + ho.deadlines.rollback_grace_ms, reason);
  }, finishRollback = (cursors, extra) => {
    let ho = s.handoff;
    fx.push({ kind: "resume", cursors: cursors ?? ho.cursors }, { kind: "close_green" });
    let reason = ho.rollback_reason ?? "rolled back";
    decide("rolled-back", extra ? `${reason}; ${extra}` : reason);
  };
  switch (ev.type) {
    case "baseline":
      return s.phase === "idle" && (s.baseline = ev.baseline), { state: s, effects: fx };
    case "reserve": {
      let f = ev.frame;
      if (s.phase !== "idle" || h) {
        let what = h ? `handoff ${h.id} is ${s.phase}` : `blue is ${s.phase}`;
        return fx.push({ kind: "reply", frame: err("busy", `${what}; one handoff at a time`, "RESERVE") }), { state: s, effects: fx };
      }
      let dl = Deadlines.safeParse(f.deadlines ?? {}), th = Thresholds.safeParse(f.thresholds ?? {});
      if (!dl.success || !th.success) {
        let bad = dl.success ? { what: "thresholds", issue: th.error?.issues[0] } : { what: "deadlines", issue: dl.error.issues[0] }, issue = bad.issue, where = `${bad.what}.${issue?.path.join(".") ?? ""}`;
        return fx.push({ kind: "reply_close", frame: err("bad_frame", clip2(`RESERVE: ${where}: ${issue?.message ?? "invalid"}`), "RESERVE", !0) }), { state: s, effects: fx };
      }
      let deadlines = dl.data, thresholds = th.data;
      return s.handoff = {
        id: f.handoff_id,
        release: f.release,
        runtime: f.runtime,
        bake_ms: f.bake_ms,
        thresholds,
        deadlines,
        started_at: ev.now,
        green_pid: null,
        handed_over: !1,
        cursors: null,
        paused_at: null,
        polling_at: null,
        bake_started_at: null,
        last_heartbeat_at: null,
        breaches: { error: 0, latency: 0 },
        health: [],
        timeline: [],
        rollback_reason: null,
        pending: null
      }, enter("reserved", ev.now + deadlines.claim_ms, `release ${f.release}, runtime ${f.runtime}`), fx.push({ kind: "reply", frame: { type: "RESERVED", handoff_id: f.handoff_id, expires_at: ev.now + deadlines.claim_ms, thresholds, deadlines } }), { state: s, effects: fx };
    }
    case "green_hello": {
      if (s.phase !== "reserved" || !h || h.id !== ev.handoff_id) {
        let why = h ? h.id !== ev.handoff_id ? `no reservation for handoff ${ev.handoff_id}` : `handoff ${h.id} is already claimed (${s.phase})` : "no handoff is reserved";
        return fx.push({ kind: "reply_close", frame: err("busy", why, "HELLO", !0) }), { state: s, effects: fx };
      }
      return h.green_pid = ev.pid, fx.push({ kind: "adopt_green" }), fx.push({
        kind: "to_green",
        frame: {
          type: "HANDOFF_INIT",
          handoff_id: h.id,
          blue_pid: s.self.pid,
          release: s.self.release,
          runtime: s.self.runtime,
          store: { path: s.self.store_path, schema: s.self.store_schema },
          bake_ms: h.bake_ms,
          deadlines: h.deadlines
        }
      }), enter("init", ev.now + h.deadlines.ack_ms, `green pid ${ev.pid}`), { state: s, effects: fx };
    }
    case "ack": {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, "HANDOFF_ACK", ev.frame.handoff_id);
      if (!h || s.phase !== "init") return wrongPhase(s, fx, "HANDOFF_ACK");
      let f = ev.frame;
      return f.release !== h.release ? failBeforeHandover(`green reports release ${f.release}, expected ${h.release}`, !1) : f.runtime !== h.runtime ? failBeforeHandover(`green reports runtime ${f.runtime}, expected ${h.runtime}`, !1) : (h.green_pid = f.pid, enter("draining", ev.now + h.deadlines.drain_ms, `green ready after ${f.init_ms} ms`), fx.push({ kind: "drain" })), { state: s, effects: fx };
    }
    case "drained":
      return !h || s.phase !== "draining" ? { state: s, effects: fx } : (h.cursors = ev.cursors, h.paused_at = ev.paused_at, h.handed_over = !0, fx.push({ kind: "to_green", frame: { type: "HANDOFF_ACTIVE", handoff_id: h.id, cursors: ev.cursors, drained: ev.drained, paused_at: ev.paused_at } }), enter("active", ev.now + h.deadlines.confirm_ms, `${ev.drained} in-flight finished`), { state: s, effects: fx });
    case "confirm": {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, "HANDOFF_CONFIRM", ev.frame.handoff_id);
      if (!h || s.phase !== "active") return wrongPhase(s, fx, "HANDOFF_CONFIRM");
      h.polling_at = ev.frame.polling_at, h.bake_started_at = ev.now, h.last_heartbeat_at = ev.now;
      let dark = h.paused_at !== null ? ` after a ${Math.max(0, ev.frame.polling_at - h.paused_at)} ms dark window` : "";
      return enter("baking", ev.now + h.bake_ms, `green polling${dark}`), { state: s, effects: fx };
    }
    case "health": {
      if (!h || s.phase !== "baking" && s.phase !== "active" && s.phase !== "rolling-back" || ev.frame.handoff_id !== h.id) return { state: s, effects: fx };
      if (h.last_heartbeat_at = ev.now, h.cursors = ev.frame.cursors, h.health = [...h.health, ev.frame.sample].slice(-4096), fx.push({ kind: "emit", event: { kind: "health", handoff_id: h.id, sample: ev.frame.sample } }), s.phase !== "baking") return { state: s, effects: fx };
      let j = judgeSample(ev.frame.sample, s.baseline, h.thresholds, h.breaches);
      return h.breaches = j.breaches, j.reason ? beginRollback(j.reason) : s.deadline !== null && ev.now >= s.deadline && decide("promoted", `bake of ${secs(h.bake_ms)} passed: ${summariseHealth(h.health)}`), { state: s, effects: fx };
    }
    case "green_rollback": {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, "HANDOFF_ROLLBACK", ev.frame.handoff_id);
      if (!h || !["init", "draining", "active", "baking", "rolling-back"].includes(s.phase)) return wrongPhase(s, fx, "HANDOFF_ROLLBACK");
      let reason = `green rolled back: ${ev.frame.reason}`;
      return h.green_pid !== null && fx.push({ kind: "stop_green", pid: h.green_pid, grace_ms: h.deadlines.rollback_grace_ms }), h.handed_over ? (h.rollback_reason ??= reason, finishRollback(ev.frame.cursors ?? null)) : (fx.push({ kind: "close_green" }), s.phase === "draining" && fx.push({ kind: "resume", cursors: null }), decide("failed", reason)), { state: s, effects: fx };
    }
    case "green_complete": {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, "HANDOFF_COMPLETE", ev.frame.handoff_id);
      if (!h || s.phase !== "complete" || !h.pending) return wrongPhase(s, fx, "HANDOFF_COMPLETE");
      let record = h.pending;
      return s.last_verdict = record, s.deadline = null, h.pending = null, fx.push({ kind: "emit", event: { kind: "verdict", record } }, { kind: "close_green" }, { kind: "exit" }), { state: s, effects: fx };
    }
    case "stopped":
      return h && ev.frame.handoff_id !== h.id ? unknownHandoff(s, fx, "HANDOFF_STOPPED", ev.frame.handoff_id) : !h || s.phase !== "rolling-back" ? wrongPhase(s, fx, "HANDOFF_STOPPED") : (h.green_pid !== null && fx.push({ kind: "stop_green", pid: h.green_pid, grace_ms: h.deadlines.rollback_grace_ms }), finishRollback(ev.frame.cursors), { state: s, effects: fx });
    case "green_closed": {
      if (!h) return { state: s, effects: fx };
      switch (s.phase) {
        case "init":
          failBeforeHandover(`green (pid ${h.green_pid}) ${ev.green_alive ? "closed the connection" : "exited"} before HANDOFF_ACK`, !1);
          break;
        case "draining":
          failBeforeHandover(`green (pid ${h.green_pid}) ${ev.green_alive ? "closed the connection" : "exited"} while blue was draining`, !0);
          break;
        case "active":
        case "baking":
          beginRollback(
            `green (pid ${h.green_pid}) ${ev.green_alive ? "closed the handoff connection" : "exited"} during ${s.phase === "active" ? "the handover" : "the bake"}`
          );
          break;
        default:
          break;
      }
      return { state: s, effects: fx };
    }
    case "abort": {
      if (!h || h.id !== ev.handoff_id)
        return fx.push({ kind: "reply", frame: err("unknown_handoff", h ? `the current handoff is ${h.id}` : "no handoff is under way", "ABORT") }), { state: s, effects: fx };
      if (s.phase === "complete") return wrongPhase(s, fx, "ABORT");
      let reason = `aborted: ${ev.reason}`;
      return fx.push({ kind: "reply", frame: { type: "ABORTING", handoff_id: h.id, phase: s.phase } }), s.phase === "reserved" ? decide("failed", reason) : s.phase === "init" ? failBeforeHandover(reason, !1) : s.phase === "draining" ? failBeforeHandover(reason, !0) : (s.phase === "active" || s.phase === "baking") && beginRollback(reason), { state: s, effects: fx };
    }
    case "tick":
      return tick(s, fx, ev.now, ev.green_alive, { enter, decide, failBeforeHandover, beginRollback, finishRollback });
  }
}
function tick(s, fx, now2, greenAlive, x) {
  let h = s.handoff;
  if (!h) return { state: s, effects: fx };
  let pid = h.green_pid, due = s.deadline !== null && now2 >= s.deadline, d = h.deadlines;
  switch (s.phase) {
    case "reserved":
      due && x.decide("failed", `no green claimed handoff ${h.id} within ${secs(d.claim_ms)}`);
      break;
    case "init":
      pid !== null && !greenAlive ? x.failBeforeHandover(`green (pid ${pid}) exited before HANDOFF_ACK`, !1) : due && x.failBeforeHandover(`green did not send HANDOFF_ACK within ${secs(d.ack_ms)}`, !1);
      break;
    case "draining":
      pid !== null && !greenAlive ? x.failBeforeHandover(`green (pid ${pid}) exited while blue was draining`, !0) : due && x.failBeforeHandover(`blue could not finish in-flight work within ${secs(d.drain_ms)}`, !0);
      break;
    case "active":
      pid !== null && !greenAlive ? x.beginRollback(`green (pid ${pid}) exited before HANDOFF_CONFIRM`) : due && x.beginRollback(`green did not send HANDOFF_CONFIRM within ${secs(d.confirm_ms)}`);
      break;
    case "baking": {
      let age = now2 - (h.last_heartbeat_at ?? now2);
      pid !== null && !greenAlive ? x.beginRollback(`green (pid ${pid}) exited during the bake`) : age > h.thresholds.max_heartbeat_age_ms && x.beginRollback(`no HEALTH from green for ${secs(age)} (limit ${secs(h.thresholds.max_heartbeat_age_ms)})`);
      break;
    }
    case "rolling-back":
      greenAlive ? due && (pid !== null && fx.push({ kind: "kill_green", pid }), x.finishRollback(null, `green did not stop within ${secs(d.rollback_grace_ms)} and was killed`)) : x.finishRollback(null);
      break;
    case "complete":
      s.deadline !== null && pid !== null && (!greenAlive || due) && (greenAlive && fx.push({ kind: "kill_green", pid }), fx.push({ kind: "close_green" }, { kind: "reclaim_socket" }, { kind: "resume", cursors: h.cursors }), h.pending = null, x.decide(
        "rolled-back",
        greenAlive ? `green (pid ${pid}) did not take over the socket within ${secs(d.takeover_ms)} of HANDOFF_COMPLETE and was killed` : `green (pid ${pid}) exited after HANDOFF_COMPLETE before taking over the socket`
      ));
      break;
    default:
      break;
  }
  return { state: s, effects: fx };
}
function unknownHandoff(s, fx, frame, id) {
  return fx.push({ kind: "reply", frame: err("unknown_handoff", `${frame} names handoff ${id}; the current handoff is ${s.handoff?.id}`, frame) }), { state: s, effects: fx };
}
function wrongPhase(s, fx, frame) {
  let where = s.handoff ? `handoff ${s.handoff.id} is ${s.phase}` : `blue is ${s.phase}`;
  return fx.push({ kind: "reply", frame: err("wrong_phase", `${frame} is not accepted now: ${where}`, frame) }), { state: s, effects: fx };
}
function view(s) {
  let h = s.handoff, last = s.last_verdict ? fitRecord(s.last_verdict) : null, frame = {
    type: "STATE",
    phase: s.phase,
    server_pid: s.self.pid,
    release: s.self.release,
    runtime: s.self.runtime,
    handoff: h ? { id: h.id, release: h.release, runtime: h.runtime, bake_ms: h.bake_ms, green_pid: h.green_pid, started_at: h.started_at, bake_started_at: h.bake_started_at } : null,
    timeline: h ? h.timeline : last?.timeline ?? [],
    health: [],
    last_verdict: last
  };
  return frame.health = h ? thin(h.health.slice(-256), Math.max(0, MAX_LINE_BYTES - 256 - jsonBytes(frame))) : [], frame;
}

// src/peer/listen.ts
import { randomBytes } from "node:crypto";
import { chmodSync, renameSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { dirname, join } from "node:path";
function socketAnswers(path, timeoutMs = 500) {
  return new Promise((resolve) => {
    let s = createConnection(path), done = (v) => {
      clearTimeout(timer), s.destroy(), resolve(v);
    }, timer = setTimeout(() => done(!1), timeoutMs);
    s.once("connect", () => done(!0)), s.once("error", () => done(!1));
  });
}
async function listenAt(socketPath, onConnection, takeover) {
  let dir = dirname(socketPath);
  if (ensurePrivateDir(dir), !takeover && isSocket(socketPath) && await socketAnswers(socketPath))
    throw new Error(`another process is already listening on ${socketPath}`);
  let fresh = join(dir, `.hs.${process.pid}.${randomBytes(3).toString("hex")}`), server = createServer({ allowHalfOpen: !1 }, onConnection);
  return await new Promise((resolve, reject) => {
    server.once("error", reject), server.listen(fresh, () => {
      server.off("error", reject), resolve();
    });
  }), chmodSync(fresh, 384), renameSync(fresh, socketPath), server;
}

// src/peer/os.ts
import { readFileSync } from "node:fs";
import { constants } from "node:os";
var realOs = {
  now: () => Date.now(),
  isAlive(pid) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if (e.code !== "EPERM") return !1;
    }
    return !isZombie(pid);
  },
  kill(pid, signal) {
    try {
      process.kill(pid, constants.signals[signal] ?? signal);
    } catch {
    }
  },
  pid: process.pid
};
function isZombie(pid) {
  try {
    let stat = readFileSync(`/proc/${pid}/stat`, "latin1"), state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state === "Z" || state === "X";
  } catch {
    return !1;
  }
}
async function waitGone(os, pid, timeoutMs) {
  let end = os.now() + timeoutMs;
  for (; os.isAlive(pid); ) {
    if (os.now() >= end) return !1;
    await new Promise((r) => setTimeout(r, 5));
  }
  return !0;
}

// src/peer/blue.ts
var digest = (s) => createHash("sha256").update(s).digest(), DEAD_GREEN_READ_MS = 1e3;
async function startBlue(opts) {
  let os = opts.os ?? realOs, log = opts.log ?? (() => {
  }), maxConns = opts.maxConnections ?? 64, helloMs = opts.helloMs ?? DEFAULT_DEADLINES.hello_ms, token = ensureToken(opts.socketPath), tokenDigest = digest(token), state = initialState(
    { pid: os.pid, release: opts.release, runtime: opts.runtime, store_path: opts.store.path, store_schema: opts.store.schema },
    opts.lastVerdict ?? null
  ), clients = /* @__PURE__ */ new Set(), green = null, closed = !1, effectChain = Promise.resolve(), killing = null, drainDone = Promise.resolve(), judgingClose = !1, dispatch = (ev, sender) => {
    if (closed) return;
    let before = state.phase, r = step(state, ev);
    state = r.state;
    let changed = state.phase !== before;
    changed && opts.onPhase?.(state.phase, "before");
    let effects = r.effects;
    effectChain = effectChain.then(() => runEffects(effects, sender)).catch((e) => log(`blue: effect failed: ${e.message}`)), changed && (effectChain = effectChain.then(() => opts.onPhase?.(state.phase, "after")));
  }, runEffects = async (effects, sender) => {
    for (let fx of effects)
      try {
        await runEffect(fx, sender);
      } catch (e) {
        log(`blue: ${fx.kind} failed: ${e.message}`);
      }
  }, runEffect = async (fx, sender) => {
    switch (fx.kind) {
      case "reply":
        sender?.conn.send(fx.frame);
        break;
      case "reply_close":
        sender && (sender.conn.close(fx.frame), clients.delete(sender));
        break;
      case "adopt_green":
        sender && (sender.role = "green"), green = sender;
        break;
      case "to_green":
        green?.conn.send(fx.frame);
        break;
      case "close_green":
        green && (green.conn.close(), clients.delete(green)), green = null;
        break;
      case "drain": {
        let deadline = state.handoff?.deadlines.drain_ms ?? DEFAULT_DEADLINES.drain_ms;
        drainDone = opts.adapters.pause(deadline).then(
          (r) => dispatch({ type: "drained", now: os.now(), cursors: r.cursors, drained: r.drained, paused_at: r.paused_at }, null),
          (e) => log(`blue: drain failed: ${e.message}`)
          // the drain deadline in the machine decides
        );
        break;
      }
      case "resume":
        killing && await killing, killing = null, await drainDone;
        try {
          await opts.adapters.start(fx.cursors), log(`blue: polling again${fx.cursors ? ` from ${JSON.stringify(fx.cursors)}` : ""}`);
        } catch (e) {
          log(`blue: could not resume polling: ${e.message}`);
        }
        break;
      case "kill_green":
        os.kill(fx.pid, "SIGKILL"), killing = waitGone(os, fx.pid, 2e3);
        break;
      case "stop_green":
        stopLater(fx.pid, fx.grace_ms);
        break;
      case "reclaim_socket": {
        let old = server;
        try {
          server = await listenAt(opts.socketPath, onConnection, !0), server.on("error", (e) => log(`blue: listener error: ${e.message}`)), old.close(), opts.onReclaim?.(), log(`blue: took the socket back at ${opts.socketPath}`);
        } catch (e) {
          log(`blue: could not take the socket back: ${e.message}`);
        }
        break;
      }
      case "record":
        try {
          writeVerdict(opts.home, fx.record);
        } catch (e) {
          fx.record.record_error = `could not write the verdict file: ${e.message}`, log(`blue: ${fx.record.record_error}`);
        }
        break;
      case "emit":
        for (let c of clients) c.subscribed && c.conn.send({ type: "EVENT", event: fx.event });
        break;
      case "exit":
        await shutdown(), opts.onComplete();
        break;
    }
  }, stopLater = async (pid, graceMs) => {
    await waitGone(os, pid, graceMs) || (log(`blue: green pid ${pid} still running ${graceMs} ms after rollback: SIGTERM`), os.kill(pid, "SIGTERM"), !await waitGone(os, pid, 2e3) && (log(`blue: green pid ${pid} ignored SIGTERM: SIGKILL`), os.kill(pid, "SIGKILL")));
  }, onFrame = (c, f) => {
    let now2 = os.now();
    if (c.role === "none") {
      if (f.type !== "HELLO") return void c.conn.close(errorFrame("unauthorized", "the first frame must be HELLO", f.type, !0));
      let given = digest(f.token);
      if (!timingSafeEqual(given, tokenDigest)) return void c.conn.close(errorFrame("unauthorized", "wrong token", "HELLO", !0));
      if (c.helloTimer && clearTimeout(c.helloTimer), c.helloTimer = null, f.role === "observer") {
        c.role = "observer", c.conn.send({ type: "WELCOME", server_pid: os.pid, phase: state.phase, release: opts.release, runtime: opts.runtime, versions: [1] });
        return;
      }
      return f.handoff_id ? dispatch({ type: "green_hello", now: now2, handoff_id: f.handoff_id, pid: f.pid }, c) : void c.conn.close(errorFrame("bad_frame", "HELLO: a green must give handoff_id", "HELLO", !0));
    }
    if (c.role === "observer")
      switch (f.type) {
        case "RESERVE":
          return dispatch({ type: "baseline", now: now2, baseline: opts.adapters.baseline() }, c), dispatch({ type: "reserve", now: now2, frame: f }, c);
        case "STATUS":
          return void c.conn.send(view(state));
        case "SUBSCRIBE":
          return c.subscribed = !0, void c.conn.send(view(state));
        case "ABORT":
          return dispatch({ type: "abort", now: now2, handoff_id: f.handoff_id, reason: f.reason }, c);
        default:
          return void c.conn.send(errorFrame("wrong_phase", `${f.type} is not an observer frame`, f.type, !1));
      }
    if (c !== green) return void c.conn.close(errorFrame("wrong_phase", "this green is no longer part of a handoff", f.type, !0));
    switch (f.type) {
      case "HANDOFF_ACK":
        return dispatch({ type: "ack", now: now2, frame: f }, c);
      case "HANDOFF_CONFIRM":
        return dispatch({ type: "confirm", now: now2, frame: f }, c);
      case "HEALTH":
        return dispatch({ type: "health", now: now2, frame: f }, c);
      case "HANDOFF_ROLLBACK":
        return dispatch({ type: "green_rollback", now: now2, frame: f }, c);
      case "HANDOFF_STOPPED":
        return dispatch({ type: "stopped", now: now2, frame: f }, c);
      case "HANDOFF_COMPLETE":
        return dispatch({ type: "green_complete", now: now2, frame: f }, c);
      default:
        return void c.conn.send(errorFrame("wrong_phase", `${f.type} is not a green frame`, f.type, !1));
    }
  }, onConnection = (socket) => {
    if (socket.on("error", () => {
    }), closed || clients.size >= maxConns) {
      socket.end(encodeError("too_many", `more than ${maxConns} connections`)), setTimeout(() => socket.destroy(), 200).unref();
      return;
    }
    let c = { conn: null, role: "none", subscribed: !1, helloTimer: null };
    c.conn = new FrameConn(socket, (d) => {
      try {
        d.ok ? onFrame(c, d.frame) : d.fatal ? c.conn.close(errorFrame(d.code, d.message, d.frame, !0)) : c.conn.send(errorFrame(d.code, d.message, d.frame, !1));
      } catch (e) {
        log(`blue: internal error on a frame: ${e.message}`), c.conn.close(errorFrame("internal", "internal error", void 0, !0));
      }
    }), c.helloTimer = setTimeout(() => c.conn.close(errorFrame("timeout", `no HELLO within ${helloMs} ms`, void 0, !0)), helloMs), c.helloTimer.unref(), clients.add(c), c.conn.closedPromise().then(() => {
      c.helloTimer && clearTimeout(c.helloTimer), clients.delete(c), c === green && (green = null, judgingClose = !0, effectChain.catch(() => {
      }).then(() => drainDone).then(async () => {
        let pid = state.handoff?.green_pid ?? null, alive = pid === null ? !0 : !await waitGone(os, pid, 50);
        judgingClose = !1, dispatch({ type: "green_closed", now: os.now(), green_alive: alive }, null);
      }));
    });
  }, server = await listenAt(opts.socketPath, onConnection, opts.takeover ?? !1);
  server.on("error", (e) => log(`blue: listener error: ${e.message}`));
  let deadWhileOpen = null, ticker = setInterval(() => {
    if (!state.handoff) return;
    let pid = state.handoff.green_pid, alive = judgingClose || pid === null ? !0 : os.isAlive(pid);
    !alive && green !== null && !green.conn.isClosed ? (deadWhileOpen ??= os.now(), os.now() - deadWhileOpen < DEAD_GREEN_READ_MS && (alive = !0)) : deadWhileOpen = null, dispatch({ type: "tick", now: os.now(), green_alive: alive }, null);
  }, opts.tickMs ?? 20), shutdown = async () => {
    if (closed) return;
    closed = !0, clearInterval(ticker);
    let stopped = new Promise((r) => server.close(() => r()));
    for (let c of clients) c.conn.close();
    clients.clear(), await stopped;
  };
  return log(`blue: listening on ${opts.socketPath} (pid ${os.pid}, release ${opts.release}, runtime ${opts.runtime})`), {
    state: () => state,
    token,
    close: shutdown
  };
}
function errorFrame(code, message, frame, fatal) {
  return { type: "ERROR", code, message, fatal, ...frame ? { frame: frame.slice(0, 64) } : {} };
}
function encodeError(code, message) {
  return JSON.stringify({ v: 1, type: "ERROR", code, message, fatal: !0 }) + `
`;
}

// src/peer/green.ts
import { createConnection as createConnection2 } from "node:net";
async function runGreen(opts) {
  let os = opts.os ?? realOs, log = opts.log ?? (() => {
  }), hooks = opts.hooks ?? {}, id = opts.handoffId, timeline = [{ phase: "green-started", at: os.now() }], bluePid = opts.bluePid ?? null, deadlines = DEFAULT_DEADLINES, bakeMs = 0, adaptersStarted = !1, pausedAt = null, pollingAt = null, token = readToken(opts.socketPath);
  if (!token) return { kind: "stopped", verdict: "failed", reason: `no token beside ${opts.socketPath}` };
  let queue = [], waiter = null, closed = !1, push = (n) => {
    if (waiter) {
      let w = waiter;
      waiter = null, w(n);
    } else n !== "closed" && n !== "timeout" && queue.push(n);
  }, next = (ms2) => {
    let q = queue.shift();
    return q ? Promise.resolve(q) : closed ? Promise.resolve("closed") : new Promise((resolve) => {
      let t = setTimeout(() => {
        waiter = null, resolve("timeout");
      }, ms2);
      waiter = (n) => {
        clearTimeout(t), resolve(n);
      };
    });
  }, conn = await connect(opts.socketPath, deadlines.hello_ms).catch((e) => e), fc = null;
  conn instanceof Error ? (log(`green: cannot reach blue at ${opts.socketPath}: ${conn.message}`), closed = !0) : (fc = new FrameConn(conn, (d) => {
    d.ok ? push(d.frame) : log(`green: bad frame from blue: ${d.message}`);
  }), fc.closedPromise().then(() => {
    closed = !0, push("closed");
  }), fc.send({ type: "HELLO", role: "green", token, pid: os.pid, handoff_id: id, client: `green/${opts.runtime}` }));
  let stopped = (verdict, reason) => (fc?.close(), { kind: "stopped", verdict, reason }), blueGone = async (phase) => {
    if (bluePid !== null && !await waitGone(os, bluePid, deadlines.rollback_grace_ms))
      return adaptersStarted && await opts.adapters.pause(deadlines.drain_ms).catch(() => {
      }), stopped("failed", `blue (pid ${bluePid}) closed the handoff connection during ${phase} and is still running`);
    if (bluePid === null && await socketAnswers(opts.socketPath))
      return adaptersStarted && await opts.adapters.pause(deadlines.drain_ms).catch(() => {
      }), stopped("failed", `cannot tell whether blue is alive (no pid) and something listens on ${opts.socketPath}`);
    adaptersStarted || (pollingAt = await opts.adapters.start(null), adaptersStarted = !0);
    let reason = `blue${bluePid ? ` (pid ${bluePid})` : ""} exited during ${phase}; green took over`;
    timeline.push({ phase: "taken-over", at: os.now(), note: reason });
    let record = {
      v: PROTOCOL_VERSION,
      handoff_id: id,
      verdict: "promoted",
      reason,
      release: opts.release,
      runtime: opts.runtime,
      blue_pid: bluePid ?? os.pid,
      green_pid: os.pid,
      decided_by: "green",
      decided_at: os.now(),
      dark_window_ms: pausedAt !== null && pollingAt !== null ? Math.max(0, pollingAt - pausedAt) : null,
      timeline,
      health: []
    };
    try {
      writeVerdict(opts.home, record);
    } catch (e) {
      record.record_error = `could not write the verdict file: ${e.message}`;
    }
    return log(`green: ${reason}`), { kind: "serving", token, verdict: record, how: "blue-died", confirm: () => fc?.close() };
  }, init = null;
  if (fc) {
    let n = await next(deadlines.hello_ms);
    if (n === "timeout") return stopped("failed", `blue sent no HANDOFF_INIT within ${deadlines.hello_ms} ms`);
    if (n !== "closed") {
      if (n.type === "ERROR") return stopped("failed", `blue refused green: ${n.code}: ${n.message}`);
      if (n.type !== "HANDOFF_INIT") return stopped("failed", `expected HANDOFF_INIT, got ${n.type}`);
      init = n, bluePid = n.blue_pid, deadlines = n.deadlines, bakeMs = n.bake_ms, timeline.push({ phase: "init", at: os.now() });
    }
  }
  let t0 = os.now();
  await opts.init(), await opts.adapters.warm?.().catch((e) => log(`green: warming the adapters failed: ${e.message}`));
  let initMs = os.now() - t0;
  if (!init || closed && queue.length === 0) return blueGone("start-up");
  await hooks.beforeAck?.(), fc.send({
    type: "HANDOFF_ACK",
    handoff_id: id,
    pid: os.pid,
    runtime: opts.runtime,
    release: hooks.ackRelease ? hooks.ackRelease(opts.release) : opts.release,
    store_schema: opts.storeSchema,
    init_ms: initMs
  }), timeline.push({ phase: "ack", at: os.now() }), await hooks.afterAck?.();
  let a = await next(deadlines.drain_ms + deadlines.hello_ms);
  if (a === "closed") return blueGone("the drain");
  if (a === "timeout")
    return fc.send({ type: "HANDOFF_ROLLBACK", handoff_id: id, reason: `no HANDOFF_ACTIVE within ${deadlines.drain_ms + deadlines.hello_ms} ms` }), stopped("failed", "blue did not hand over in time");
  if (a.type === "HANDOFF_ROLLBACK") return stopped("failed", `blue rolled back: ${a.reason}`);
  if (a.type !== "HANDOFF_ACTIVE") return stopped("failed", `expected HANDOFF_ACTIVE, got ${a.type}`);
  pausedAt = a.paused_at, pollingAt = await opts.adapters.start(a.cursors), adaptersStarted = !0, timeline.push({ phase: "active", at: os.now() }), await hooks.afterActive?.(), fc.send({ type: "HANDOFF_CONFIRM", handoff_id: id, adapters: opts.adapters.names(), polling_at: pollingAt }), await hooks.afterConfirm?.();
  let seq = 0, beating = !1, beat = async () => {
    if (!(beating || closed)) {
      beating = !0;
      try {
        seq += 1, await hooks.beforeHeartbeat?.(seq);
        let w = opts.adapters.sample();
        fc.send({ type: "HEALTH", handoff_id: id, sample: { seq, at: os.now(), ...w }, cursors: opts.adapters.cursors() });
      } finally {
        beating = !1;
      }
    }
  }, hb = setInterval(() => {
    beat();
  }, deadlines.heartbeat_ms);
  try {
    let limit = bakeMs + deadlines.rollback_grace_ms + 3e4, end = os.now() + limit;
    for (; ; ) {
      let f = await next(Math.max(1, end - os.now()));
      if (f === "closed") return await blueGone("the bake");
      if (f === "timeout") {
        let r = await opts.adapters.pause(deadlines.drain_ms).catch(() => null);
        return fc.send({ type: "HANDOFF_ROLLBACK", handoff_id: id, reason: `no verdict from blue within ${limit} ms`, ...r ? { cursors: r.cursors } : {} }), stopped("rolled-back", "blue gave no verdict in time");
      }
      if (f.type === "HANDOFF_COMPLETE") {
        timeline.push({ phase: "complete", at: os.now() }), await hooks.onComplete?.();
        let verdict = readVerdict(opts.home, id) ?? fallbackVerdict(opts, bluePid, f.reason, timeline, pausedAt, pollingAt, os.now()), conn2 = fc;
        return { kind: "serving", token, verdict, how: "complete", confirm: () => {
          conn2.send({ type: "HANDOFF_COMPLETE", handoff_id: id, reason: "green owns the socket" }), conn2.close();
        } };
      }
      if (f.type === "HANDOFF_ROLLBACK") {
        let r = await opts.adapters.pause(deadlines.drain_ms).catch((e) => e), cursors = r instanceof Error ? opts.adapters.cursors() : r.cursors;
        return fc.send({ type: "HANDOFF_STOPPED", handoff_id: id, cursors }), stopped("rolled-back", f.reason);
      }
      f.type === "ERROR" && log(`green: blue said ${f.code}: ${f.message}`);
    }
  } finally {
    clearInterval(hb);
  }
}
function fallbackVerdict(opts, bluePid, reason, timeline, pausedAt, pollingAt, now2) {
  return {
    v: PROTOCOL_VERSION,
    handoff_id: opts.handoffId,
    verdict: "promoted",
    reason,
    release: opts.release,
    runtime: opts.runtime,
    blue_pid: bluePid ?? 1,
    green_pid: process.pid,
    decided_by: "blue",
    decided_at: now2,
    dark_window_ms: pausedAt !== null && pollingAt !== null ? Math.max(0, pollingAt - pausedAt) : null,
    timeline,
    health: [],
    record_error: "blue could not write the verdict file; this is green's account"
  };
}
function connect(path, timeoutMs) {
  let end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let attempt = () => {
      let s = createConnection2(path);
      s.once("connect", () => {
        s.removeAllListeners("error"), s.on("error", () => {
        }), resolve(s);
      }), s.once("error", (e) => {
        s.destroy(), Date.now() + 100 < end && (e.code === "ENOENT" || e.code === "ECONNREFUSED") ? setTimeout(attempt, 100) : reject(e);
      });
    };
    attempt();
  });
}

// examples/gateway/store.ts
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join as join2 } from "node:path";
var STORE_SCHEMA = 1, Header = external_exports.object({ schema: external_exports.number().int() }), AnswerLine = external_exports.object({
  platform: external_exports.string().min(1).max(64),
  update_id: external_exports.number().int(),
  pid: external_exports.number().int(),
  text: external_exports.string(),
  at: external_exports.number().int()
}), MAX_TEXT = 4096, CHUNK = 4 << 20, NL = 10;
function openStore(home) {
  let dir = join2(home, "store"), path = join2(dir, "transcript.log");
  mkdirSync(dir, { recursive: !0, mode: 448 }), createWithHeader(dir, path);
  let fd = openSync(path, "a+", 384), answered = /* @__PURE__ */ new Map(), maxId = /* @__PURE__ */ new Map(), readPos = 0, corrupt = 0, sawHeader = !1, opened = !1, skipping = !1, useFd = () => {
    if (fd === null) throw new Error(`transcript store ${path} is closed`);
    return fd;
  }, remember = (platform, updateId) => {
    let set = answered.get(platform);
    return set || answered.set(platform, set = /* @__PURE__ */ new Set()), set.has(updateId) ? !1 : (set.add(updateId), maxId.set(platform, Math.max(maxId.get(platform) ?? -1 / 0, updateId)), !0);
  }, take = (line) => {
    if (line.length === 0) return 0;
    let value;
    try {
      value = JSON.parse(line.toString("utf8"));
    } catch {
      return corrupt++, 0;
    }
    let header = Header.safeParse(value);
    if (header.success) {
      if (header.data.schema !== STORE_SCHEMA) {
        if (opened || sawHeader)
          return corrupt++, 0;
        throw new Error(`transcript store ${path} has schema ${header.data.schema}; this gateway reads schema ${STORE_SCHEMA} only`);
      }
      return sawHeader = !0, 0;
    }
    let rec = AnswerLine.safeParse(value);
    return rec.success ? remember(rec.data.platform, rec.data.update_id) ? 1 : 0 : (corrupt++, 0);
  }, reload = () => {
    let f = useFd(), added = 0;
    for (; ; ) {
      let size = fstatSync(f).size;
      if (size <= readPos) return added;
      let buf = Buffer.allocUnsafe(Math.min(CHUNK, size - readPos)), n = readSync(f, buf, 0, buf.length, readPos);
      if (n <= 0) return added;
      let last = buf.lastIndexOf(NL, n - 1);
      if (last < 0) {
        if (n < CHUNK) return added;
        skipping = !0, readPos += n;
        continue;
      }
      let start = 0;
      for (let i = buf.indexOf(NL, 0); i >= 0 && i <= last; i = buf.indexOf(NL, i + 1))
        skipping ? (corrupt++, skipping = !1) : added += take(buf.subarray(start, i)), start = i + 1;
      readPos += last + 1;
    }
  }, tailIsTorn = (f) => {
    let size = fstatSync(f).size;
    if (size === 0) return !1;
    let b = Buffer.alloc(1);
    return readSync(f, b, 0, 1, size - 1) === 1 && b[0] !== NL;
  };
  try {
    if (reload(), !sawHeader && readPos > 0) throw new Error(`transcript store ${path} has no {"schema":N} header line; refusing to use it`);
  } catch (e) {
    throw closeSync(fd), e;
  }
  return opened = !0, {
    path,
    has(platform, updateId) {
      return answered.get(platform)?.has(updateId) ? !0 : (reload(), answered.get(platform)?.has(updateId) ?? !1);
    },
    record(platform, updateId, by) {
      let f = useFd(), line = JSON.stringify({ platform, update_id: updateId, pid: by.pid, text: by.text.slice(0, MAX_TEXT), at: Date.now() }), bytes = Buffer.from(`${tailIsTorn(f) ? `
` : ""}${line}
`, "utf8"), off = 0;
      for (; off < bytes.length; ) off += writeSync(f, bytes, off, bytes.length - off);
      remember(platform, updateId);
    },
    flush() {
      fsyncSync(useFd());
    },
    reload,
    nextOffset(platform) {
      let m = maxId.get(platform);
      return m === void 0 ? null : m + 1;
    },
    corruptLines: () => corrupt,
    close() {
      fd !== null && closeSync(fd), fd = null;
    }
  };
}
function createWithHeader(dir, path) {
  let fd;
  try {
    fd = openSync(path, "wx", 384);
  } catch (e) {
    if (e.code === "EEXIST") return;
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify({ schema: STORE_SCHEMA })}
`), fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let d = openSync(dir, "r");
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

// examples/gateway/telegram-adapter.ts
import { performance } from "node:perf_hooks";

// examples/gateway/percentiles.ts
function percentileOfSorted(sorted, p) {
  if (sorted.length === 0) return 0;
  let rank = Math.ceil(Math.min(100, Math.max(0, p)) / 100 * sorted.length);
  return sorted[Math.max(0, rank - 1)] ?? 0;
}
function p50p99(values) {
  let sorted = [...values].sort((a, b) => a - b);
  return { p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99) };
}
function roundMs(ms2) {
  return Math.round(ms2 * 1e3) / 1e3;
}

// examples/gateway/platform/client.ts
import { Agent, request } from "node:http";

// examples/gateway/platform/schemas.ts
var IntLike = external_exports.union([external_exports.number().int(), external_exports.string().regex(/^-?\d{1,15}$/).transform(Number)]), NumLike = external_exports.union([external_exports.number(), external_exports.string().regex(/^\d{1,9}(\.\d{1,6})?$/).transform(Number)]), TelegramChat = external_exports.object({ id: external_exports.union([external_exports.number().int(), external_exports.string()]) }), TelegramMessage = external_exports.object({
  message_id: external_exports.number().int(),
  date: external_exports.number().int(),
  chat: TelegramChat,
  text: external_exports.string().optional()
}), TelegramUpdate = external_exports.object({
  update_id: external_exports.number().int(),
  message: TelegramMessage.optional()
}), GetUpdatesParams = external_exports.object({
  offset: IntLike.optional(),
  limit: IntLike.optional(),
  timeout: NumLike.pipe(external_exports.number().min(0).max(3600)).optional(),
  allowed_updates: external_exports.unknown().optional()
}), SendMessageParams = external_exports.object({
  chat_id: external_exports.union([IntLike, external_exports.string().min(1).max(256)]),
  text: external_exports.string().min(1).max(4096),
  update_id: IntLike
}), RateBody = external_exports.object({ rate: external_exports.number().min(0).max(1e5) }), ProduceBody = external_exports.object({ count: external_exports.number().int().min(0).max(1e6) }), PlatformStats = external_exports.object({
  produced: external_exports.number().int().nonnegative(),
  replied: external_exports.number().int().nonnegative(),
  pending: external_exports.number().int().nonnegative(),
  lost: external_exports.number().int().nonnegative(),
  duplicated: external_exports.number().int().nonnegative(),
  conflicts: external_exports.number().int().nonnegative(),
  max_gap_ms: external_exports.number().nonnegative(),
  switch_gap_ms: external_exports.number().nonnegative(),
  gaps_ms: external_exports.object({ p50: external_exports.number().nonnegative(), p99: external_exports.number().nonnegative(), count: external_exports.number().int().nonnegative() }),
  polls: external_exports.number().int().nonnegative(),
  pollers: external_exports.number().int().nonnegative(),
  confirmed: external_exports.number().int().nonnegative(),
  latency_ms: external_exports.object({ p50: external_exports.number().nonnegative(), p99: external_exports.number().nonnegative() }),
  /** Polls in flight right now. */
  in_flight: external_exports.number().int().nonnegative(),
  /** Updates per second the producer makes now. */
  rate: external_exports.number().nonnegative()
}), ApiFailure = external_exports.object({ ok: external_exports.literal(!1), error_code: external_exports.number().int(), description: external_exports.string() });
function apiSuccess(result) {
  return external_exports.object({ ok: external_exports.literal(!0), result });
}

// examples/gateway/platform/client.ts
var BotApiError = class extends Error {
  constructor(method, status, description) {
    super(`${method}: HTTP ${status}: ${description}`);
    this.method = method;
    this.status = status;
    this.description = description;
    this.name = "BotApiError";
  }
  method;
  status;
  description;
}, Updates = apiSuccess(external_exports.array(TelegramUpdate)), Sent = apiSuccess(external_exports.unknown()), MAX_RESPONSE = 16 << 20;
function createBotClient(opts) {
  let agent = new Agent({ keepAlive: !0, maxSockets: 8 }), base = new URL(opts.baseUrl.endsWith("/") ? opts.baseUrl : `${opts.baseUrl}/`), urlOf = (method) => new URL(`bot${encodeURIComponent(opts.token)}/${method}`, base);
  function call(method, schema, body, timeoutMs, signal, onSent) {
    return new Promise((resolve, reject) => {
      let text = JSON.stringify(body), req = request(urlOf(method), {
        method: "POST",
        agent,
        signal,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-poller-id": opts.pollerId }
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method}: no response within ${timeoutMs} ms`))), req.on("error", reject), req.on("response", (res) => {
        readAll(res, method).then((raw) => {
          let json;
          try {
            json = JSON.parse(raw);
          } catch {
            return reject(new BotApiError(method, res.statusCode ?? 0, `response is not JSON: ${raw.slice(0, 200)}`));
          }
          let failure = ApiFailure.safeParse(json);
          if (failure.success) return reject(new BotApiError(method, res.statusCode ?? failure.data.error_code, failure.data.description));
          let ok = schema.safeParse(json);
          if (!ok.success || res.statusCode !== 200)
            return reject(new BotApiError(method, res.statusCode ?? 0, `unexpected response: ${ok.success ? "status not 200" : ok.error.message}`));
          resolve(ok.data);
        }, reject);
      }), req.end(text), onSent?.(Date.now());
    });
  }
  return {
    async getUpdates(r, signal, onSent) {
      let body = { timeout: r.timeout };
      return r.offset !== null && (body.offset = r.offset), r.limit !== void 0 && (body.limit = r.limit), (await call("getUpdates", Updates, body, r.timeout * 1e3 + 1e4, signal, onSent)).result;
    },
    async sendMessage(msg) {
      await call("sendMessage", Sent, msg, 1e4);
    },
    async getMe() {
      await call("getMe", Sent, {}, 1e4);
    },
    close() {
      agent.destroy();
    }
  };
}
function readAll(res, method) {
  return new Promise((resolve, reject) => {
    let chunks = [], size = 0;
    res.on("data", (c) => {
      size += c.length, size > MAX_RESPONSE ? (res.destroy(), reject(new Error(`${method}: response over ${MAX_RESPONSE} bytes`))) : chunks.push(c);
    }), res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8"))), res.on("error", reject), res.on("close", () => {
      res.complete || reject(new Error(`${method}: response cut short`));
    });
  });
}

// examples/gateway/telegram-adapter.ts
var TELEGRAM = "telegram", BACKOFF_MIN_MS = 50, BACKOFF_MAX_MS = 2e3, BASELINE_WINDOW_MS = 6e4, MAX_TEXT2 = 4096;
function createTelegramAdapter(opts) {
  let client = createBotClient({ baseUrl: opts.baseUrl, token: opts.token ?? "hermes-demo", pollerId: opts.pollerId }), store = opts.store, log = opts.log ?? (() => {
  }), pollTimeoutS = opts.pollTimeoutS ?? 25, reloadBeforeAnswering = !1, offset = null, run2 = null, win = { handled: 0, errors: 0, latencies: [] }, history = [];
  function account(ms2, error) {
    win.handled++, error && win.errors++, win.latencies.push(ms2), history.push({ at: performance.now(), ms: ms2, error }), history.length > 1024 && (history[0]?.at ?? 0) < performance.now() - BASELINE_WINDOW_MS && pruneHistory();
  }
  function pruneHistory() {
    let since = performance.now() - BASELINE_WINDOW_MS, keep = history.findIndex((h) => h.at >= since);
    history = keep < 0 ? [] : history.slice(keep);
  }
  function sleep2(r, ms2) {
    return new Promise((resolve) => {
      let t = setTimeout(done, ms2);
      function done() {
        clearTimeout(t), r.wake = null, resolve();
      }
      r.wake = done;
    });
  }
  async function answer(r, u, receivedAt) {
    let msg = u.message;
    if (!msg) return !0;
    let reply;
    try {
      reply = await opts.agent(u);
    } catch (e) {
      reply = { text: `Sorry, that failed: ${e.message}`, error: !0 };
    }
    let text = (reply.text === "" ? "(no answer)" : reply.text).slice(0, MAX_TEXT2);
    for (let backoff = 0; ; ) {
      if (r.abandoned) return !1;
      try {
        await client.sendMessage({ chat_id: msg.chat.id, text, update_id: u.update_id });
        break;
      } catch (e) {
        if (e instanceof BotApiError && e.status >= 400 && e.status < 500 && e.status !== 409 && e.status !== 429) {
          log(`telegram: sendMessage for update ${u.update_id} refused (${e.description}); not retried`), reply = { text, error: !0 };
          break;
        }
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2)), log(`telegram: sendMessage for update ${u.update_id} failed (${e.message}); retrying in ${backoff} ms`), await sleep2(r, backoff);
      }
    }
    return store.record(TELEGRAM, u.update_id, { pid: process.pid, text }), account(performance.now() - receivedAt, reply.error), r.stopping && r.drained++, !0;
  }
  async function answerBatch(r, updates, receivedAt) {
    reloadBeforeAnswering && (reloadBeforeAnswering = !1, store.reload());
    let answered = !1;
    try {
      for (let u of updates)
        if (!store.has(TELEGRAM, u.update_id) && (answered = !0, !await answer(r, u, receivedAt)))
          return;
    } finally {
      answered && store.flush();
    }
    let last = updates[updates.length - 1];
    last && !r.abandoned && (offset = Math.max(offset ?? 0, last.update_id + 1));
  }
  async function loop(r, onFirstPoll) {
    let backoff = 0;
    for (; !r.stopping && !r.abandoned; ) {
      let ctl = new AbortController();
      r.poll = ctl;
      let updates;
      try {
        updates = await client.getUpdates({ offset, timeout: pollTimeoutS }, ctl.signal, onFirstPoll);
      } catch (e) {
        if (r.stopping || r.abandoned) break;
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2)), log(`telegram: getUpdates failed (${e.message}); retrying in ${backoff} ms`), await sleep2(r, backoff);
        continue;
      } finally {
        r.poll = null;
      }
      if (backoff = 0, updates.length !== 0)
        try {
          await answerBatch(r, updates, performance.now());
        } catch (e) {
          backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2)), log(`telegram: answering a batch failed (${e.message}); polling again from offset ${offset} in ${backoff} ms`), await sleep2(r, backoff);
        }
    }
  }
  function cursorOf(cursors2) {
    let v = cursors2?.[TELEGRAM];
    if (v === void 0) return null;
    if (typeof v == "number") return v;
    if (/^-?\d{1,15}$/.test(v)) return Number(v);
    throw new Error(`cursor "${TELEGRAM}" must be an integer update offset, got ${JSON.stringify(v)}`);
  }
  let cursors = () => offset === null ? {} : { [TELEGRAM]: offset };
  function stopRun(r) {
    r.stopping = !0, r.poll?.abort(), r.wake?.();
  }
  return {
    names: () => [TELEGRAM],
    async warm() {
      await client.getMe();
    },
    start(from) {
      if (run2) return Promise.reject(new Error("telegram adapter: start() while already polling; pause() first"));
      let handed = cursorOf(from);
      return handed === null ? store.reload() : reloadBeforeAnswering = !0, offset = handed ?? store.nextOffset(TELEGRAM), new Promise((resolve, reject) => {
        let sent = !1, r = { stopping: !1, abandoned: !1, poll: null, wake: null, drained: 0, done: Promise.resolve() };
        run2 = r, r.done = loop(r, (at) => {
          sent || resolve(at), sent = !0;
        }).then(() => {
          sent || reject(new Error("telegram adapter: stopped before its first poll went out"));
        });
      });
    },
    async pause(deadlineMs) {
      let r = run2, pausedAt = Date.now();
      if (!r) return { cursors: cursors(), drained: 0, paused_at: pausedAt };
      stopRun(r);
      let timer, finished = await Promise.race([
        r.done.then(() => !0),
        new Promise((resolve) => timer = setTimeout(() => resolve(!1), deadlineMs))
      ]);
      if (clearTimeout(timer), run2 === r && (run2 = null), !finished)
        throw r.abandoned = !0, r.wake?.(), new Error(
          `telegram adapter: the batch being answered did not finish within ${deadlineMs} ms of pause (${r.drained} answered since); its unanswered updates stay unconfirmed for the next poller`
        );
      return store.flush(), { cursors: cursors(), drained: r.drained, paused_at: pausedAt };
    },
    cursors,
    sample() {
      let { p50, p99 } = p50p99(win.latencies), s = { handled: win.handled, errors: win.errors, latency_p50_ms: roundMs(p50), latency_p99_ms: roundMs(p99) };
      return win = { handled: 0, errors: 0, latencies: [] }, s;
    },
    baseline() {
      return pruneHistory(), history.length === 0 ? { error_rate: 0, latency_p99_ms: 0 } : { error_rate: history.filter((h) => h.error).length / history.length, latency_p99_ms: roundMs(p50p99(history.map((h) => h.ms)).p99) };
    },
    close() {
      run2 && (run2.abandoned = !0, stopRun(run2), run2 = null), client.close();
    }
  };
}

// examples/gateway/faults.ts
var GREEN_FAULTS = [
  "none",
  "crash-before-ack",
  "crash-after-ack",
  "crash-after-active",
  "crash-after-confirm",
  "crash-during-bake",
  "hang",
  "error-burst",
  "wrong-release",
  "exit-at-start",
  "crash-after-complete"
], BLUE_FAULTS = ["none", "crash-before-init", "crash-after-ack", "crash-after-active", "crash-during-bake", "crash-late-bake"];
function crash() {
  throw process.kill(process.pid, "SIGKILL"), new Error("unreachable");
}
function hangForever() {
  let cell = new Int32Array(new SharedArrayBuffer(4));
  for (; ; ) Atomics.wait(cell, 0, 0);
}
function replyGate() {
  let inFlight = /* @__PURE__ */ new Set(), waiting = null, timer = null, fire = () => {
    let fn = waiting;
    waiting = null, timer && clearTimeout(timer), timer = null, fn?.();
  };
  return {
    begin: (id) => {
      inFlight.add(id);
    },
    wrap: (store) => ({
      ...store,
      record(platform, updateId, by) {
        store.record(platform, updateId, by), inFlight.delete(updateId), inFlight.size === 0 && waiting && fire();
      }
    }),
    whenQuiet(fn, maxWaitMs = 2e3) {
      if (inFlight.size === 0) return fn();
      waiting = fn, timer ??= setTimeout(fire, maxWaitMs);
    }
  };
}
var now = { whenQuiet: (fn) => fn() };
function greenHooks(fault, errors, gate = now) {
  switch (fault) {
    case "crash-before-ack":
      return { beforeAck: crash };
    case "crash-after-ack":
      return { afterAck: crash };
    case "crash-after-active":
      return { afterActive: crash };
    case "crash-after-confirm":
      return { afterConfirm: crash };
    case "crash-during-bake":
      return { beforeHeartbeat: (seq) => seq === 2 ? gate.whenQuiet(crash) : void 0 };
    case "hang":
      return { beforeHeartbeat: (seq) => seq === 2 ? gate.whenQuiet(hangForever) : void 0 };
    case "error-burst":
      return {
        afterConfirm: () => {
          errors.on = !0;
        }
      };
    case "wrong-release":
      return { ackRelease: (r) => `${r}-not` };
    case "crash-after-complete":
      return { onComplete: () => new Promise((r) => gate.whenQuiet(() => r())).then(crash) };
    default:
      return {};
  }
}
function blueOnPhase(fault) {
  switch (fault) {
    case "crash-before-init":
      return (p, w) => p === "init" && w === "before" ? crash() : void 0;
    case "crash-after-ack":
      return (p, w) => p === "draining" && w === "after" ? crash() : void 0;
    case "crash-after-active":
      return (p, w) => p === "active" && w === "after" ? crash() : void 0;
    case "crash-during-bake":
      return (p, w) => p === "baking" && w === "after" ? void setTimeout(crash, 300) : void 0;
    case "crash-late-bake":
      return (p, w) => p === "complete" && w === "before" ? crash() : void 0;
    default:
      return;
  }
}

// examples/gateway/gateway.ts
var USAGE = "example-gateway --home DIR --platform URL [--init-ms N] [--fault F] [--poll-timeout S]";
async function runExampleGateway(argv, env = process.env) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        home: { type: "string" },
        platform: { type: "string" },
        "init-ms": { type: "string", default: "3000" },
        fault: { type: "string" },
        "poll-timeout": { type: "string", default: "25" }
      },
      strict: !0
    }).values;
  } catch (e) {
    return process.stderr.write(`example-gateway: ${e.message}
usage: ${USAGE}
`), 2;
  }
  let home = args.home ?? env.HERMES_HOME, platform = args.platform, initMs = Number(args["init-ms"]), pollTimeout = Number(args["poll-timeout"]), bad = (m) => (process.stderr.write(`example-gateway: ${m}
usage: ${USAGE}
`), 2);
  if (!home) return bad("--home DIR (or HERMES_HOME) is required");
  if (!platform || !/^https?:\/\//.test(platform)) return bad("--platform must be an http(s) URL");
  if (!Number.isInteger(initMs) || initMs < 0) return bad("--init-ms must be a whole number of milliseconds >= 0");
  if (!Number.isFinite(pollTimeout) || pollTimeout < 0 || pollTimeout > 60) return bad("--poll-timeout must be 0-60 seconds");
  let fault = args.fault ?? env.HERMES_HANDOFF_FAULT ?? "none";
  if (!GREEN_FAULTS.includes(fault)) return bad(`--fault must be one of ${GREEN_FAULTS.join(", ")}`);
  let blueFault = env.HERMES_BLUE_FAULT ?? "none";
  if (!BLUE_FAULTS.includes(blueFault)) return bad(`HERMES_BLUE_FAULT must be one of ${BLUE_FAULTS.join(", ")}`);
  let handoffId = env.HERMES_HANDOFF_ID ? parseHandoffId(env.HERMES_HANDOFF_ID) : null, runtime = env.HERMES_RUNTIME || "legacy", release = env.HERMES_RELEASE || "dev", socketPath = env.HERMES_SOCKET || join3(home, "run", "handoff.sock"), role = handoffId ? "green" : "blue", log = (m) => process.stderr.write(`${(/* @__PURE__ */ new Date()).toISOString()} [gateway ${role} pid ${process.pid} ${runtime}@${release}] ${m}
`);
  for (let d of ["run", "logs", "store"]) mkdirSync2(join3(home, d), { recursive: !0, mode: 448 });
  let pidFile = join3(home, "gateway.pid"), replies = replyGate(), store = replies.wrap(openStore(home)), errors = { on: !1 }, adapters = createTelegramAdapter({
    baseUrl: platform,
    store,
    pollTimeoutS: pollTimeout,
    pollerId: `${role}-${process.pid}`,
    log,
    agent: async (u) => {
      replies.begin(u.update_id);
      let text = u.message?.text ?? "";
      return errors.on ? { text: "Sorry, something went wrong.", error: !0 } : { text: `echo: ${text}`, error: !1 };
    }
  }), initialise = () => new Promise((r) => setTimeout(r, initMs)), blue = null, finished = () => {
  }, exited = new Promise((r) => finished = r), serve = async (lastVerdict, takeover) => {
    writeFileAtomic(pidFile, `${process.pid}
`, 420), blue = await startBlue({
      socketPath,
      home,
      release,
      runtime,
      store: { path: store.path, schema: STORE_SCHEMA },
      adapters,
      takeover,
      lastVerdict,
      log,
      onPhase: blueOnPhase(blueFault),
      // Green may have written gateway.pid before it died: this process serves again.
      onReclaim: () => writeFileAtomic(pidFile, `${process.pid}
`, 420),
      onComplete: () => {
        log("handoff complete: green serves; exiting"), store.close(), finished(0);
      }
    });
  }, stop = async (sig) => {
    log(`${sig}: stopping`), await adapters.pause(5e3).catch(() => {
    }), await blue?.close(), store.close(), finished(0);
  };
  if (process.once("SIGTERM", () => {
    stop("SIGTERM");
  }), process.once("SIGINT", () => {
    stop("SIGINT");
  }), role === "blue")
    return await socketAnswers(socketPath) ? (log(`another gateway already listens on ${socketPath}; refusing to start a second blue`), 1) : (await initialise(), await adapters.start(null), await serve(null, !0), log(`serving (init ${initMs} ms)`), exited);
  if (fault === "exit-at-start")
    return log("fault exit-at-start: exiting before connecting"), 1;
  let bluePid = readPid(pidFile), ended = readVerdict(home, handoffId);
  if (ended) {
    let someoneServes = await socketAnswers(socketPath);
    return ended.verdict !== "promoted" || someoneServes ? (log(`handoff ${handoffId} already ended ${ended.verdict}${someoneServes ? " and another gateway serves" : ""}; nothing to do`), store.close(), 0) : (log(`handoff ${handoffId} was promoted and its green is gone: serving again`), await initialise(), await adapters.start(null), await serve(ended, !0), exited);
  }
  let result = await runGreen({
    socketPath,
    home,
    handoffId,
    release,
    runtime,
    storeSchema: STORE_SCHEMA,
    adapters,
    init: initialise,
    bluePid,
    hooks: greenHooks(fault, errors, replies),
    log
  });
  return result.kind === "stopped" ? (log(`handoff ended ${result.verdict}: ${result.reason}; exiting`), store.close(), result.verdict === "rolled-back" || readVerdict(home, handoffId) ? 0 : 1) : (log(`promoted (${result.how}): ${result.verdict.reason}`), await serve(result.verdict, !0), result.confirm(), exited);
}
function readPid(path) {
  try {
    let n = Number.parseInt(readFileSync2(path, "utf8").trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

// examples/gateway/platform/server.ts
import { createServer as createServer2 } from "node:http";
import { performance as performance3 } from "node:perf_hooks";

// examples/gateway/platform/ledger.ts
var Ledger = class {
  constructor(graceMs) {
    this.graceMs = graceMs;
  }
  graceMs;
  entries = [];
  /** Every id below this is confirmed. */
  confirmedBelow = 1;
  windowFirstId = 1;
  replied = 0;
  duplicated = 0;
  confirmed = 0;
  lost = 0;
  latencies = [];
  /** Confirmed updates whose grace has not been judged yet, in confirmation (hence time) order. */
  lostQueue = [];
  lostHead = 0;
  /** The id the next update will get. */
  get nextId() {
    return this.entries.length + 1;
  }
  /** Makes one update at `now` (epoch `epochMs` for its date) and returns it. */
  produce(now2, epochMs) {
    let id = this.nextId, update = {
      update_id: id,
      message: { message_id: id, date: Math.floor(epochMs / 1e3), chat: { id: 1e3 + id % 16 }, text: `message ${id}` }
    }, entry = { producedAt: now2, update, confirmedAt: null, firstReplyAt: null, replies: 0 };
    return this.entries.push(entry), id < this.confirmedBelow && this.confirm(id, entry, now2), update;
  }
  /** Applies a getUpdates `offset` at `now` (negative: keep only the last -offset); returns the first id it may serve. */
  applyOffset(offset, now2) {
    if (offset === void 0) return this.confirmedBelow;
    let target = offset < 0 ? Math.max(1, this.nextId + offset) : offset, upTo = Math.min(target, this.nextId);
    for (let id = this.confirmedBelow; id < upTo; id++) this.confirm(id, this.entries[id - 1], now2);
    return this.confirmedBelow = Math.max(this.confirmedBelow, target), this.confirmedBelow;
  }
  /** Unconfirmed updates with id >= `from`, at most `limit`, in id order. */
  pendingFrom(from, limit) {
    let out = [];
    for (let id = Math.max(from, this.confirmedBelow); id < this.nextId && out.length < limit; id++) {
      let u = this.entries[id - 1]?.update;
      u && out.push(u);
    }
    return out;
  }
  /** Records a reply to `updateId` at `now`; 'unknown' when no such update was produced. */
  reply(updateId, now2) {
    let entry = updateId >= 1 ? this.entries[updateId - 1] : void 0;
    if (!entry) return "unknown";
    entry.replies++;
    let inWindow = updateId >= this.windowFirstId;
    return entry.replies === 1 ? (entry.firstReplyAt = now2, inWindow && (this.replied++, this.latencies.push(now2 - entry.producedAt))) : inWindow && this.duplicated++, "ok";
  }
  /** Starts a new window at `now`: updates produced before it are no longer counted. */
  resetWindow(now2) {
    this.settle(now2), this.windowFirstId = this.nextId, this.replied = 0, this.duplicated = 0, this.confirmed = 0, this.lost = 0, this.latencies = [];
  }
  /** The window's counters at `now`. */
  counts(now2) {
    this.settle(now2);
    let produced = this.nextId - this.windowFirstId;
    return {
      produced,
      replied: this.replied,
      pending: produced - this.replied,
      lost: this.lost,
      duplicated: this.duplicated,
      confirmed: this.confirmed,
      latencies: this.latencies
    };
  }
  confirm(id, entry, now2) {
    entry.confirmedAt = now2, entry.update = null, id >= this.windowFirstId && this.confirmed++, this.lostQueue.push({ id, confirmedAt: now2 });
  }
  /** Judges every confirmation whose grace has passed: lost when no reply came within the grace. */
  settle(now2) {
    for (; this.lostHead < this.lostQueue.length; ) {
      let c = this.lostQueue[this.lostHead], deadline = c.confirmedAt + this.graceMs;
      if (deadline > now2) break;
      this.lostHead++;
      let entry = this.entries[c.id - 1];
      !(entry.firstReplyAt !== null && entry.firstReplyAt <= deadline) && c.id >= this.windowFirstId && this.lost++;
    }
    this.lostHead > 4096 && this.lostHead * 2 > this.lostQueue.length && (this.lostQueue = this.lostQueue.slice(this.lostHead), this.lostHead = 0);
  }
};

// examples/gateway/platform/poll-tracker.ts
var PollTracker = class {
  live = 0;
  /** When the current gap began; null while a poll is in flight or before the first poll ever. */
  gapStartedAt = null;
  /** Poller id of the most recent poll to arrive; undefined before the first. */
  lastPollerId = void 0;
  windowStart;
  gaps = [];
  maxGap = 0;
  switchGap = 0;
  pollers = /* @__PURE__ */ new Set();
  polls = 0;
  conflicts = 0;
  constructor(now2) {
    this.windowStart = now2;
  }
  /** A poll arrived at `now` from `pollerId` (null when it sent none): it is in flight from here. */
  arrive(now2, pollerId) {
    if (this.live === 0 && this.gapStartedAt !== null) {
      let gap = now2 - Math.max(this.gapStartedAt, this.windowStart);
      this.gaps.push(gap), gap > this.maxGap && (this.maxGap = gap), this.lastPollerId !== void 0 && pollerId !== this.lastPollerId && gap > this.switchGap && (this.switchGap = gap);
    }
    this.gapStartedAt = null, this.live++, this.lastPollerId = pollerId, this.polls++, pollerId !== null && this.pollers.add(pollerId);
  }
  /** A poll stopped being in flight at `now` (answered, or its client went away). Call once per arrive. */
  leave(now2) {
    this.live = Math.max(0, this.live - 1), this.live === 0 && (this.gapStartedAt = now2);
  }
  /** Counts one 409 sent to an older poll. */
  conflict() {
    this.conflicts++;
  }
  /** Notes a poller still in flight when a window starts, so the new window counts it. */
  seen(pollerId) {
    pollerId !== null && this.pollers.add(pollerId);
  }
  /** Starts a new window at `now`; a gap in progress is counted from here when it ends. */
  reset(now2) {
    this.windowStart = now2, this.gaps = [], this.maxGap = 0, this.switchGap = 0, this.pollers = /* @__PURE__ */ new Set(), this.polls = 0, this.conflicts = 0;
  }
  /** The window's figures, in milliseconds with microsecond precision. */
  figures() {
    let { p50, p99 } = p50p99(this.gaps);
    return {
      polls: this.polls,
      pollers: this.pollers.size,
      conflicts: this.conflicts,
      in_flight: this.live,
      max_gap_ms: roundMs(this.maxGap),
      switch_gap_ms: roundMs(this.switchGap),
      gaps_ms: { p50: roundMs(p50), p99: roundMs(p99), count: this.gaps.length }
    };
  }
};

// examples/gateway/platform/producer.ts
import { performance as performance2 } from "node:perf_hooks";
var Producer = class {
  constructor(emit) {
    this.emit = emit;
  }
  emit;
  rate = 0;
  base = 0;
  done = 0;
  timer = null;
  /** Updates per second now. */
  get current() {
    return this.rate;
  }
  /** Sets the rate (updates per second, 0 = none), counting from now. */
  setRate(rate) {
    if (!Number.isFinite(rate) || rate < 0) throw new Error(`rate must be a finite number >= 0, got ${rate}`);
    this.stop(), this.rate = rate, this.base = performance2.now(), this.done = 0, rate > 0 && this.schedule();
  }
  /** Stops producing (the rate stays as set until setRate). */
  stop() {
    this.timer && clearTimeout(this.timer), this.timer = null;
  }
  schedule() {
    let next = this.base + (this.done + 1) * 1e3 / this.rate;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - performance2.now())), this.timer.unref();
  }
  tick() {
    this.timer = null;
    let due = Math.floor((performance2.now() - this.base) * this.rate / 1e3), n = due - this.done;
    this.done = Math.max(this.done, due), n > 0 && this.emit(n), this.rate > 0 && this.timer === null && this.schedule();
  }
};

// examples/gateway/platform/http-io.ts
var BadRequest = class extends Error {
  constructor(status, description) {
    super(description);
    this.status = status;
  }
  status;
};
function readBody(req) {
  return new Promise((resolve, reject) => {
    let chunks = [], size = 0;
    req.on("data", (c) => {
      if (size += c.length, size <= 1048576) return void chunks.push(c);
      chunks.length = 0, reject(new BadRequest(413, "Request Entity Too Large: body over 1048576 bytes")), size > 16 * 1048576 && req.destroy();
    }), req.on("end", () => resolve(Buffer.concat(chunks))), req.on("error", reject), req.on("close", () => reject(new Error("client went away before the body was read")));
  });
}
function parseParams(url, contentType, body) {
  let params = Object.fromEntries(url.searchParams);
  if (body.length === 0) return params;
  let type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString("utf8"))) };
  if (type !== "" && type !== "application/json") throw new BadRequest(400, `Bad Request: unsupported content type "${type}"; expected application/json or a form`);
  let parsed;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new BadRequest(400, `Bad Request: body is not valid JSON (${e.message})`);
  }
  if (parsed === null || typeof parsed != "object" || Array.isArray(parsed))
    throw new BadRequest(400, "Bad Request: body must be a JSON object");
  return { ...params, ...parsed };
}
function sendJson(res, status, body) {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  let text = JSON.stringify(body), headers = { "content-type": "application/json", "content-length": Buffer.byteLength(text) };
  status === 413 && (headers.connection = "close"), res.writeHead(status, headers), res.end(text);
}
function sendFailure(res, status, description) {
  sendJson(res, status, { ok: !1, error_code: status, description });
}

// examples/gateway/platform/server.ts
var CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", BOT_ROUTE = /^\/bot([^/]+)\/([A-Za-z]+)$/;
async function startFakePlatform(opts) {
  let graceMs = opts.graceMs ?? 2e3;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error(`graceMs must be a number >= 0, got ${graceMs}`);
  let ledger = new Ledger(graceMs), tracker = new PollTracker(performance3.now()), live = [], seq = 0, botMessageId = 0, producer = new Producer((n) => produce(n));
  function produce(n) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`produce(n) needs an integer n >= 0, got ${n}`);
    for (let i = 0; i < n; i++) ledger.produce(performance3.now(), Date.now());
    n > 0 && wakeNewest();
  }
  function wakeNewest() {
    let p = live[live.length - 1];
    if (!p?.wait) return;
    let result = ledger.pendingFrom(p.wait.from, p.wait.limit);
    result.length > 0 && finish(p, 200, { ok: !0, result });
  }
  function finish(p, status, body) {
    p.done || (end(p), sendJson(p.res, status, body));
  }
  function end(p) {
    p.done = !0, p.wait && clearTimeout(p.wait.timer), p.wait = null, p.detach();
    let i = live.indexOf(p);
    i >= 0 && live.splice(i, 1), tracker.leave(performance3.now());
  }
  function endOlder(p) {
    for (let old of live.filter((q) => q.seq < p.seq))
      if (!old.done) {
        if (clientGone(old.res)) {
          end(old);
          continue;
        }
        tracker.conflict(), finish(old, 409, { ok: !1, error_code: 409, description: CONFLICT });
      }
  }
  async function getUpdates(req, res, url) {
    let header = req.headers["x-poller-id"], pollerId = typeof header == "string" && header.length > 0 ? header.slice(0, 128) : null, socket = req.socket, gone = () => {
      p.done || end(p);
    }, p = {
      seq: ++seq,
      res,
      pollerId,
      done: !1,
      wait: null,
      detach: () => {
        socket.off("end", gone), socket.off("close", gone);
      }
    };
    tracker.arrive(performance3.now(), pollerId), live.push(p), socket.on("end", gone), socket.on("close", gone), res.on("close", gone), setImmediate(() => setImmediate(() => endOlder(p)));
    let params = parse(GetUpdatesParams, parseParams(url, req.headers["content-type"], await readBody(req)));
    if (p.done) return;
    let from = ledger.applyOffset(params.offset, performance3.now()), limit = Math.min(100, Math.max(1, params.limit ?? 100)), timeoutMs = (params.timeout ?? 0) * 1e3, result = ledger.pendingFrom(from, limit);
    if (result.length > 0 || timeoutMs === 0) return finish(p, 200, { ok: !0, result });
    let timer = setTimeout(() => finish(p, 200, { ok: !0, result: [] }), timeoutMs);
    p.wait = { from, limit, timer };
  }
  async function sendMessage(req, res, url) {
    let params = parse(SendMessageParams, parseParams(url, req.headers["content-type"], await readBody(req)));
    if (ledger.reply(params.update_id, performance3.now()) === "unknown")
      throw new BadRequest(400, `Bad Request: update_id ${params.update_id} was never produced`);
    sendJson(res, 200, {
      ok: !0,
      result: { message_id: ++botMessageId, date: Math.floor(Date.now() / 1e3), chat: { id: params.chat_id }, text: params.text }
    });
  }
  async function control(req, res, url) {
    let body = parseParams(url, req.headers["content-type"], await readBody(req));
    if (url.pathname === "/control/rate") {
      let { rate } = parse(RateBody, body);
      return producer.setRate(rate), sendJson(res, 200, { ok: !0, result: { rate } });
    }
    let { count } = parse(ProduceBody, body);
    produce(count), sendJson(res, 200, { ok: !0, result: { count, next_update_id: ledger.nextId } });
  }
  function stats() {
    let now2 = performance3.now(), c = ledger.counts(now2), f = tracker.figures(), lat = p50p99(c.latencies);
    return {
      produced: c.produced,
      replied: c.replied,
      pending: c.pending,
      lost: c.lost,
      duplicated: c.duplicated,
      conflicts: f.conflicts,
      max_gap_ms: f.max_gap_ms,
      switch_gap_ms: f.switch_gap_ms,
      gaps_ms: f.gaps_ms,
      polls: f.polls,
      pollers: f.pollers,
      confirmed: c.confirmed,
      latency_ms: { p50: roundMs(lat.p50), p99: roundMs(lat.p99) },
      in_flight: f.in_flight,
      rate: producer.current
    };
  }
  function resetStats() {
    let now2 = performance3.now();
    ledger.resetWindow(now2), tracker.reset(now2);
    for (let p of live) tracker.seen(p.pollerId);
  }
  async function route(req, res) {
    let url = new URL(req.url ?? "/", "http://platform.invalid"), method = req.method ?? "", bot = BOT_ROUTE.exec(url.pathname);
    if (bot && (method === "GET" || method === "POST")) {
      let name = (bot[2] ?? "").toLowerCase();
      return name === "getupdates" ? getUpdates(req, res, url) : name === "sendmessage" ? sendMessage(req, res, url) : name === "getme" ? (await readBody(req), sendJson(res, 200, { ok: !0, result: { id: 1, is_bot: !0, first_name: "Fake platform", username: "fake_platform_bot" } })) : sendFailure(res, 404, `Not Found: method ${bot[2]} is not served here`);
    }
    if (url.pathname === "/stats" && method === "GET") return sendJson(res, 200, stats());
    if (url.pathname === "/stats/reset" && method === "POST")
      return await readBody(req), resetStats(), sendJson(res, 200, { ok: !0, result: !0 });
    if ((url.pathname === "/control/rate" || url.pathname === "/control/produce") && method === "POST") return control(req, res, url);
    sendFailure(res, 404, `Not Found: ${method} ${url.pathname}`);
  }
  let server = createServer2((req, res) => {
    route(req, res).catch((e) => {
      if (e instanceof BadRequest) return fail(res, e.status, e.message);
      res.destroyed || fail(res, 500, `Internal Server Error: ${e.message}`);
    });
  });
  function fail(res, status, description) {
    let p = live.find((q) => q.res === res);
    if (p) return finish(p, status, { ok: !1, error_code: status, description });
    sendFailure(res, status, description);
  }
  server.requestTimeout = 0, server.on("clientError", (_err, socket) => socket.destroy()), await new Promise((resolve, reject) => {
    server.once("error", reject), server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject), resolve();
    });
  }), server.on("error", () => {
  }), producer.setRate(opts.rate);
  let port = server.address().port, closed = null;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRate: (r) => producer.setRate(r),
    produce,
    resetStats,
    close() {
      return closed ??= new Promise((resolve) => {
        producer.stop();
        for (let p of [...live]) finish(p, 200, { ok: !0, result: [] });
        server.close(() => resolve()), server.closeAllConnections();
      }), closed;
    }
  };
}
function clientGone(res) {
  let socket = res.socket;
  return res.destroyed || socket === null || socket.destroyed || socket.readableEnded;
}
function parse(schema, value) {
  let r = schema.safeParse(value);
  if (r.success) return r.data;
  let issue = r.error.issues[0], where = issue && issue.path.length > 0 ? issue.path.join(".") : "parameters";
  throw new BadRequest(400, `Bad Request: ${where}: ${issue?.message ?? "invalid"}`);
}

// examples/gateway/platform/cli.ts
var USAGE2 = "usage: fake-platform [--port N] [--rate R] [--grace-ms N]   (--port 0: any free port; rate in updates/s)";
function parseFakePlatformArgs(argv) {
  let flags = { port: 0, rate: 0, graceMs: 2e3 };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === "--help" || arg === "-h") return "help";
    let eq = arg.indexOf("="), name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name !== "--port" && name !== "--rate" && name !== "--grace-ms") return { error: `unknown flag ${JSON.stringify(arg)}; ${USAGE2}` };
    let raw = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === void 0 || raw === "") return { error: `${name} needs a value` };
    let n = Number(raw);
    if (name === "--port") {
      if (!/^\d+$/.test(raw) || n > 65535) return { error: `--port must be an integer 0..65535, got ${JSON.stringify(raw)}` };
      flags.port = n;
    } else if (name === "--rate") {
      if (!/^\d+(\.\d+)?$/.test(raw) || n > 1e5) return { error: `--rate must be a number 0..100000 (updates per second), got ${JSON.stringify(raw)}` };
      flags.rate = n;
    } else {
      if (!/^\d+$/.test(raw)) return { error: `--grace-ms must be an integer >= 0, got ${JSON.stringify(raw)}` };
      flags.graceMs = n;
    }
  }
  return flags;
}
async function runFakePlatformCli(argv) {
  let flags = parseFakePlatformArgs(argv);
  if (flags === "help")
    return process.stdout.write(`${USAGE2}
`), 0;
  if ("error" in flags)
    return process.stderr.write(`fake-platform: ${flags.error}
`), 2;
  let platform;
  try {
    platform = await startFakePlatform({ port: flags.port, rate: flags.rate, graceMs: flags.graceMs });
  } catch (e) {
    return process.stderr.write(`fake-platform: cannot listen on 127.0.0.1:${flags.port}: ${e.message}
`), 1;
  }
  process.stdout.write(`${platform.url}
`), process.stderr.write(`fake-platform: listening on ${platform.url}, ${flags.rate} updates/s, grace ${flags.graceMs} ms
`);
  let signal = await new Promise((resolve) => {
    let on = (s) => {
      process.off("SIGTERM", on), process.off("SIGINT", on), resolve(s);
    };
    process.on("SIGTERM", on), process.on("SIGINT", on);
  });
  return await platform.close(), process.stderr.write(`fake-platform: stopped on ${signal}
`), 0;
}

// src/demo/cli.ts
import { parseArgs as parseArgs2 } from "node:util";

// src/demo/demo.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as join4 } from "node:path";

// src/demo/processes.ts
import { spawn } from "node:child_process";
import { openSync as openSync2, closeSync as closeSync2, readFileSync as readFileSync3 } from "node:fs";
function selfCommand() {
  let script = process.argv[1];
  if (!script) throw new Error("cannot tell which script is running");
  return [process.execPath, ...process.execArgv, script];
}
function spawnLogged(argv, env, logPath) {
  let fd = openSync2(logPath, "a", 384);
  try {
    return spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync2(fd);
  }
}
function readPidFile(path) {
  try {
    let n = Number.parseInt(readFileSync3(path, "utf8").trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}
async function stopAll(pids, graceMs = 3e3) {
  let list = [...new Set(pids)].filter((p) => p > 0 && realOs.isAlive(p));
  for (let p of list) realOs.kill(p, "SIGTERM");
  await Promise.all(
    list.map(async (p) => {
      await waitGone(realOs, p, graceMs) || (realOs.kill(p, "SIGKILL"), await waitGone(realOs, p, 2e3));
    })
  );
}

// src/demo/demo.ts
var sleep = (ms2) => new Promise((r) => setTimeout(r, ms2));
async function runDemo(o) {
  let dir = mkdtempSync(join4(tmpdir(), "hermes-demo-")), home = join4(dir, "home"), platform = await startFakePlatform({ port: 0, rate: o.rate, graceMs: 500 }), pids = /* @__PURE__ */ new Set(), host = new LocalHost();
  try {
    let gw = (extra) => [...selfCommand(), "example-gateway", "--home", home, "--platform", platform.url, "--init-ms", String(o.initMs), "--poll-timeout", "10", ...extra], blue = spawnLogged(gw([]), { ...process.env, HERMES_RELEASE: "legacy-1", HERMES_RUNTIME: "legacy", HERMES_HANDOFF_ID: "", HERMES_BLUE_FAULT: o.blueFault ?? "none" }, join4(dir, "blue.log")), bluePid = blue.pid;
    pids.add(bluePid);
    let sock = join4(home, "run", "handoff.sock"), readyBy = Date.now() + o.initMs + 3e4;
    for (; !await socketAnswers(sock); ) {
      if (Date.now() > readyBy || blue.exitCode !== null) throw new Error(`blue did not start (see ${join4(dir, "blue.log")})`);
      await sleep(50);
    }
    o.out(`blue serving (pid ${bluePid}); platform ${platform.url} at ${o.rate} msg/s`), await sleep(300), platform.resetStats();
    let outcome = await promote(
      {
        mode: "promote",
        targetName: "demo",
        hermesHome: home,
        socketPath: null,
        greenCommand: shellJoin(gw(["--fault", o.fault])),
        workdir: null,
        runtime: "claw",
        release: "claw-1",
        greenEnv: { HERMES_BLUE_FAULT: "none" },
        prepareCommand: null,
        launcher: "process",
        systemdUnit: "hermes-green@",
        bakeMs: o.bakeMs,
        timeoutMs: o.initMs + o.bakeMs + 6e4,
        thresholds: { max_heartbeat_age_ms: 1500, consecutive: 3 },
        deadlines: { heartbeat_ms: 200, ack_ms: o.initMs + 2e4, drain_ms: 5e3, confirm_ms: 5e3, rollback_grace_ms: 2e3 }
      },
      {
        host,
        log: { info: (m) => o.out(`  ${m}`), warn: (m) => o.out(`! ${m}`) },
        onPhase: () => {
        },
        progressEveryMs: 1e3
      }
    ), greenPid = outcome.green_pid;
    greenPid && pids.add(greenPid), platform.setRate(0);
    let settleBy = Date.now() + 15e3, stats = platform.stats();
    for (; stats.pending > 0 && Date.now() < settleBy; )
      await sleep(100), stats = platform.stats();
    await sleep(700), stats = platform.stats();
    let servingPid = readPidFile(join4(home, "gateway.pid"));
    servingPid && pids.add(servingPid);
    let blueAlive = realOs.isAlive(bluePid) && blue.exitCode === null, greenAlive = servingPid !== null && servingPid !== bluePid && realOs.isAlive(servingPid), served_by = blueAlive && greenAlive ? "both" : blueAlive ? "blue" : greenAlive ? "green" : "none", t0 = outcome.timeline[0]?.at ?? outcome.started_at;
    for (let t of outcome.timeline) o.out(`+${((t.at - t0) / 1e3).toFixed(3)}s  ${t.phase}${t.note ? `  ${t.note}` : ""}`);
    return { result: {
      verdict: outcome.verdict,
      reason: outcome.reason,
      handoff_id: outcome.handoff_id,
      fault: o.fault,
      served_by,
      dark_window_ms: stats.switch_gap_ms ?? stats.max_gap_ms,
      host_dark_window_ms: outcome.dark_window_ms,
      max_gap_ms: stats.max_gap_ms,
      init_ms: o.initMs,
      bake_ms: o.bakeMs,
      duration_ms: outcome.duration_ms,
      produced: stats.produced,
      replied: stats.replied,
      lost: stats.lost,
      duplicated: stats.duplicated,
      conflicts: stats.conflicts,
      blue_pid: bluePid,
      green_pid: greenPid
    }, outcome };
  } finally {
    await host.close();
    let servingPid = readPidFile(join4(home, "gateway.pid"));
    servingPid && pids.add(servingPid), await stopAll(pids), await platform.close(), o.keep ? o.out(`kept ${dir}`) : rmSync(dir, { recursive: !0, force: !0 });
  }
}

// src/demo/cli.ts
var USAGE3 = "demo [--fault F] [--json] [--init-ms N] [--bake-ms N] [--rate R] [--keep]";
async function runDemoCli(argv) {
  let v;
  try {
    v = parseArgs2({
      args: argv,
      options: {
        fault: { type: "string", default: "none" },
        json: { type: "boolean", default: !1 },
        "init-ms": { type: "string", default: "1500" },
        "bake-ms": { type: "string", default: "3000" },
        rate: { type: "string", default: "50" },
        "blue-fault": { type: "string", default: "none" },
        keep: { type: "boolean", default: !1 }
      },
      strict: !0
    }).values;
  } catch (e) {
    return process.stderr.write(`demo: ${e.message}
usage: ${USAGE3}
`), 2;
  }
  let num2 = (name, s, min) => {
    let n = Number(s);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(s)}`);
    return n;
  }, initMs, bakeMs, rate;
  try {
    if (!GREEN_FAULTS.includes(v.fault)) throw new Error(`--fault: expected one of ${GREEN_FAULTS.join(", ")}, got ${JSON.stringify(v.fault)}`);
    initMs = num2("init-ms", v["init-ms"], 0), bakeMs = num2("bake-ms", v["bake-ms"], 0), rate = num2("rate", v.rate, 0);
  } catch (e) {
    return process.stderr.write(`demo: ${e.message}
usage: ${USAGE3}
`), 2;
  }
  let out = (line) => (v.json ? process.stderr : process.stdout).write(line + `
`);
  out(`hermes-handoff demo: promote the reference gateway (legacy -> claw), fault ${v.fault}, init ${initMs} ms, bake ${bakeMs} ms`);
  let { result } = await runDemo({ fault: v.fault, initMs, bakeMs, rate, out, keep: v.keep, blueFault: v["blue-fault"] });
  return v.json || (out(`verdict: ${result.verdict}: ${result.reason}`), out(`served by ${result.served_by}; dark window ${result.dark_window_ms} ms (init ${result.init_ms} ms); lost ${result.lost}, duplicated ${result.duplicated}, conflicts ${result.conflicts}`)), process.stdout.write(JSON.stringify(result) + `
`), result.verdict !== "timed-out" && result.lost === 0 && result.duplicated === 0 && result.served_by !== "both" && result.served_by !== "none" ? 0 : 1;
}

// src/cli/engine.ts
import { readFile } from "node:fs/promises";

// src/cli/args.ts
var CLI_COMMANDS = ["promote", "preflight", "status", "rollback"], CliArgsError = class extends Error {
  name = "CliArgsError";
}, CliHelp = class extends Error {
  constructor(text) {
    super("help requested");
    this.text = text;
  }
  text;
  name = "CliHelp";
}, BOOLEAN_INPUTS = /* @__PURE__ */ new Set(["insecure-skip-host-key-check", "fail-on-rollback", "close-issue-on-success"]), REPEATABLE_INPUTS = /* @__PURE__ */ new Set(["known-hosts", "host-fingerprint", "jump-known-hosts", "jump-host-fingerprint"]), FILE_FLAGS = {
  "private-key-file": "private-key",
  "passphrase-file": "passphrase",
  "jump-private-key-file": "jump-private-key",
  "jump-passphrase-file": "jump-passphrase",
  "known-hosts-file": "known-hosts",
  "jump-known-hosts-file": "jump-known-hosts",
  "green-env-file": "green-env"
}, REFUSED = {
  "private-key": "a private key is never taken from a flag value (ps shows it): use --private-key-file PATH or --private-key-stdin",
  passphrase: "a passphrase is never taken from a flag value (ps shows it): use --passphrase-file PATH",
  "jump-private-key": "a private key is never taken from a flag value (ps shows it): use --jump-private-key-file PATH",
  "jump-passphrase": "a passphrase is never taken from a flag value (ps shows it): use --jump-passphrase-file PATH",
  "github-token": "the token is never taken from a flag value (ps shows it): set the GITHUB_TOKEN environment variable",
  "green-env": "green's environment values are secrets and never taken from a flag value: use --green-env-file PATH (KEY=VALUE lines)",
  mode: "the mode is the command: hermes-handoff promote|preflight|status|rollback"
};
function cliHelp() {
  return `Usage: hermes-handoff <command> [flags]

Commands (the action's modes):
  promote     start green beside the running gateway, hand over, bake, report the verdict
  preflight   check that the host is ready for a handoff; changes nothing
  status      attach to a running handoff, or report how the last one ended
  rollback    ask the running handoff to roll back (during the bake)

Flags are the action's inputs (see docs/inputs.md): --NAME VALUE or --NAME=VALUE.
Connection (transport ssh):
  --host H --port N --username U --connect-timeout-seconds S
  --private-key-file PATH | --private-key-stdin     the key is never a flag value
  --passphrase-file PATH
  --known-hosts LINE, --known-hosts-file PATH       host key pins (repeatable)
  --host-fingerprint SHA256:...                      (repeatable; ssh-keyscan -t ed25519 H | ssh-keygen -lf -)
  --insecure-skip-host-key-check                     not recommended
  --jump-host [user@]host[:port] --jump-private-key-file PATH --jump-passphrase-file PATH
  --jump-known-hosts LINE, --jump-known-hosts-file PATH, --jump-host-fingerprint SHA256:...
  --transport local                                  run on this machine instead (no SSH flags)
Gateway:
  --hermes-home DIR --socket-path PATH --green-command CMD --workdir DIR --runtime NAME
  --release SHA (default $GITHUB_SHA) --green-env-file PATH --prepare-command CMD
  --launcher process|systemd --systemd-unit NAME@
Bake and deadlines:
  --bake-seconds S --timeout-seconds S --max-error-rate R|P% --max-latency-factor F
  --latency-floor-ms MS --max-heartbeat-age-seconds S --consecutive-breaches N
  --ack-timeout-seconds S --claim-timeout-seconds S --rollback-grace-seconds S
  --handoff-id ID (status, rollback: which handoff)
Reporting (token from the GITHUB_TOKEN environment variable):
  --target-name NAME --status-context CTX --fail-on-rollback[=false] --no-fail-on-rollback
  --issue N --close-issue-on-success[=false] --failure-label LABEL

Exit status: 0 success, 1 a failed verdict, 2 bad input.
`;
}
async function parseCliArgs(argv, env, readFile2, stdin) {
  if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") throw new CliHelp(cliHelp());
  let [first, ...rest2] = argv;
  if (first === void 0 || first.startsWith("-")) throw new CliArgsError(`expected a command first: ${CLI_COMMANDS.join(", ")} (see --help)`);
  if (!CLI_COMMANDS.includes(first))
    throw new CliArgsError(`unknown command "${first}": expected ${CLI_COMMANDS.join(", ")} (see --help)`);
  let command = first, values = /* @__PURE__ */ new Map(), set = (input, value, flag) => {
    let prev = values.get(input);
    if (prev !== void 0 && !REPEATABLE_INPUTS.has(input)) throw new CliArgsError(`${flag}: given twice`);
    values.set(input, prev === void 0 ? value : `${prev}
${value}`);
  }, keyFromStdin = !1;
  for (let i = 0; i < rest2.length; i++) {
    let arg = rest2[i];
    if (!arg.startsWith("--")) throw new CliArgsError(`unexpected argument "${arg}": flags are --NAME VALUE (see --help)`);
    let eq = arg.indexOf("="), name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2), inline = eq >= 0 ? arg.slice(eq + 1) : void 0, flag = `--${name}`, value = () => {
      if (inline !== void 0) return inline;
      let next = rest2[i + 1];
      if (next === void 0 || next.startsWith("--")) throw new CliArgsError(`${flag}: expected a value after it`);
      return i++, next;
    }, refusal = REFUSED[name];
    if (refusal !== void 0) throw new CliArgsError(`${flag}: ${refusal}`);
    if (name === "private-key-stdin") {
      if (inline !== void 0) throw new CliArgsError(`${flag}: takes no value`);
      keyFromStdin = !0;
      continue;
    }
    let fileInput = FILE_FLAGS[name];
    if (fileInput !== void 0) {
      let path = value(), text;
      try {
        text = await readFile2(path);
      } catch (e) {
        let code = e.code ?? e.message;
        throw new CliArgsError(`${flag}: cannot read ${JSON.stringify(path)} (${code})`);
      }
      if (SECRET_INPUTS.has(fileInput) && values.has(fileInput)) throw new CliArgsError(`${flag}: given twice`);
      set(fileInput, text, flag);
      continue;
    }
    let negated = name.startsWith("no-") ? name.slice(3) : null;
    if (negated !== null && BOOLEAN_INPUTS.has(negated)) {
      if (inline !== void 0) throw new CliArgsError(`${flag}: takes no value`);
      set(negated, "false", flag);
      continue;
    }
    if (!INPUT_NAMES.includes(name)) throw new CliArgsError(`unknown flag ${flag} (see --help)`);
    let input = name;
    if (BOOLEAN_INPUTS.has(input)) {
      let next = rest2[i + 1], bare = inline === void 0 && !(next !== void 0 && /^(true|false)$/i.test(next));
      set(input, bare ? "true" : value(), flag);
      continue;
    }
    set(input, value(), flag);
  }
  if (keyFromStdin) {
    if (values.has("private-key")) throw new CliArgsError("--private-key-stdin: --private-key-file is given too; use one");
    values.set("private-key", await stdin());
  }
  values.set("mode", command);
  let token = env.GITHUB_TOKEN ?? "";
  return {
    command,
    getInput: (name) => name === "github-token" ? token : values.get(name) ?? ""
  };
}

// src/cli/engine.ts
async function readStdin() {
  let chunks = [];
  for await (let c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}
async function runEngineCli(cmd2, argv) {
  let settings;
  try {
    let args = await parseCliArgs([cmd2, ...argv], process.env, (p) => readFile(p, "utf8"), readStdin);
    settings = readSettings((name) => name === "mode" ? args.command : args.getInput(name), process.env);
  } catch (e) {
    if (e instanceof CliHelp)
      return process.stdout.write(e.text), 0;
    if (e instanceof CliArgsError || e instanceof InputError)
      return process.stderr.write(`hermes-handoff ${cmd2}: ${e.message}
`), 2;
    throw e;
  }
  let secrets = secretValues(settings), scrub = (t) => createScrubber(secrets)(t), say = (m) => process.stderr.write(scrub(m) + `
`), { outcome } = await runSession(
    settings,
    { log: { info: say, warn: (m) => say(`warning: ${m}`) }, addSecret: (v) => secrets.push(v) }
  );
  return outcome.green_log_tail && (outcome.green_log_tail = scrub(outcome.green_log_tail)), say(scrub(renderReport(outcome))), process.stdout.write(scrub(JSON.stringify(outputsOf(outcome))) + `
`), exitCodeFor(outcome, settings.report.failOnRollback);
}

// src/cli.ts
var HELP = `usage: hermes-handoff <command> [flags]
  promote | preflight | status | rollback   the action's modes; flags are the action's inputs (--host, --known-hosts-file, ...)
  demo [--fault F] [--json]                 a full local promotion of the reference gateway
  example-gateway --home DIR --platform URL [--init-ms N]
  fake-platform --port N --rate R
exit codes: 0 success, 1 a failed verdict, 2 bad input`, [cmd, ...rest] = process.argv.slice(2), run = async () => {
  switch (cmd) {
    case "demo":
      return runDemoCli(rest);
    case "example-gateway":
      return runExampleGateway(rest);
    case "fake-platform":
      return runFakePlatformCli(rest);
    case "promote":
    case "preflight":
    case "status":
    case "rollback":
      return runEngineCli(cmd, rest);
    case void 0:
    case "--help":
    case "-h":
    case "help":
      return process.stdout.write(HELP + `
`), cmd ? 0 : 2;
    default:
      return process.stderr.write(`hermes-handoff: unknown command ${JSON.stringify(cmd)}
${HELP}
`), 2;
  }
};
run().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`hermes-handoff: ${e.stack ?? String(e)}
`), process.exit(1);
  }
);
