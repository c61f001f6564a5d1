#!/usr/bin/env node
import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{a}from"./chunks/chunk-SYB4273S.js";import{a as s}from"./chunks/chunk-ZVXKOHB7.js";import"./chunks/chunk-IH242EKK.js";import"./chunks/chunk-HXDHYYBD.js";var i=`usage: hermes-handoff <command> [flags]
  promote | preflight | status | rollback   the action's modes; flags are the action's inputs (--host, --known-hosts-file, ...)
  demo [--fault F] [--json]                 a full local promotion of the reference gateway
  example-gateway --home DIR --platform URL [--init-ms N]
  fake-platform --port N --rate R
exit codes: 0 success, 1 a failed verdict, 2 bad input`,f=new Set(["demo","example-gateway","fake-platform"]);async function p(e,m){let u=import.meta.url.endsWith(".ts"),n=new URL(u?`../examples/bin/${e}.ts`:`./examples/${e}.js`,import.meta.url),r=await import(n.href);if(typeof r!="object"||r===null||!("run"in r)||typeof r.run!="function")throw new Error(`${n.pathname} has no run(argv)`);let o=await r.run(m);return typeof o=="number"?o:1}var[t,...c]=process.argv.slice(2),l=async()=>{if(t!==void 0&&f.has(t))return p(t,c);switch(t){case"promote":case"preflight":case"status":case"rollback":{a();let{runEngineCli:e}=await import("./chunks/engine-Q224Z57J.js");return e(t,c)}case void 0:case"--help":case"-h":case"help":return process.stdout.write(i+`
`),t?0:2;default:return process.stderr.write(`hermes-handoff: unknown command ${JSON.stringify(t)}
${i}
`),2}};l().then(e=>process.exit(e),e=>{process.stderr.write(`hermes-handoff: ${e instanceof Error&&e.stack?e.stack:s(e)}
`),process.exit(1)});
