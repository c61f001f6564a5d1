import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{a as t}from"./chunks/chunk-HJLBUMUC.js";import{b as e,c as s,d as i}from"./chunks/chunk-C3ZGCE5N.js";import"./chunks/chunk-IBJ6OCA2.js";import{d as r}from"./chunks/chunk-HJZRATPE.js";import"./chunks/chunk-AOENJ6TN.js";import"./chunks/chunk-HXDHYYBD.js";var n="hermes-handoff: ",a=o=>{process.stdout.write(s(o))};i(n,a);function m(o){import("./chunks/core-ZGCML2YA.js").then(c=>{c.setFailed(o),process.exit(1)})}for(let o of["SIGINT","SIGTERM"])process.once(o,()=>m(r(o)));t();import("./chunks/action-FHIENBK3.js").then(({runAction:o})=>o()).then(o=>process.exit(o),o=>{a(e(n,o)),process.exit(1)});
