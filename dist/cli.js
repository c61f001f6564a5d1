#!/usr/bin/env node
import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{a as s}from"./chunks/chunk-C7AOTHOI.js";import{b as i,d as c}from"./chunks/chunk-C3ZGCE5N.js";import{d as a}from"./chunks/chunk-IBJ6OCA2.js";import"./chunks/chunk-LXRQGCER.js";import"./chunks/chunk-HXDHYYBD.js";var m=`usage: hermes-handoff <command> [flags]
  promote | preflight | status | rollback   the action's modes; flags are the action's inputs (--host, --known-hosts-file, ...)
  demo [--fault F] [--json]                 a full local promotion of the reference gateway
  example-gateway --home DIR --platform URL [--init-ms N]
  fake-platform --port N --rate R
exit codes: 0 success, 1 a failed verdict, 2 bad input`,h=new Set(["demo","example-gateway","fake-platform"]);async function w(e,p){let d=import.meta.url.endsWith(".ts"),r=new URL(d?`../examples/bin/${e}.ts`:`./examples/${e}.js`,import.meta.url),n=await import(r.href);if(typeof n!="object"||n===null||!("run"in n)||typeof n.run!="function")throw new Error(`${r.pathname} has no run(argv)`);let o=await n.run(p);return typeof o=="number"?o:1}var l="hermes-handoff: ",f=e=>{process.stderr.write(`${e}
`)};c(l,f);var[t,...u]=process.argv.slice(2),g=async()=>{if(t!==void 0&&h.has(t))return w(t,u);switch(t){case"promote":case"preflight":case"status":case"rollback":{s();let{runEngineCli:e}=await import("./chunks/engine-W2QZBVK7.js");return e(t,u)}case void 0:case"--help":case"-h":case"help":return process.stdout.write(m+`
`),t?0:2;default:return process.stderr.write(`hermes-handoff: unknown command ${a(JSON.stringify(t),200)}
${m}
`),2}};g().then(e=>process.exit(e),e=>{f(i(l,e)),process.exit(1)});
