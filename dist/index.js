import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{a as r}from"./chunks/chunk-SYB4273S.js";import{c as i}from"./chunks/chunk-TQZQ3L6U.js";import{a as e}from"./chunks/chunk-ZVXKOHB7.js";import"./chunks/chunk-IH242EKK.js";import"./chunks/chunk-HXDHYYBD.js";function s(o){import("./chunks/core-ACYL4ZBN.js").then(t=>{t.setFailed(o),process.exit(1)})}for(let o of["SIGINT","SIGTERM"])process.once(o,()=>s(i(o)));r();import("./chunks/action-GAJWNZRL.js").then(({runAction:o})=>o()).then(o=>process.exit(o),o=>s(`hermes-handoff: ${e(o)}`));
