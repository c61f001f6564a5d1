#!/usr/bin/env node
import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{a as p,b as m,d as o,e as d}from"./chunks/chunk-HMXKIDWY.js";import"./chunks/chunk-AEBZXVTS.js";import{a as u}from"./chunks/chunk-HJLBUMUC.js";import{b as c,d as f}from"./chunks/chunk-C3ZGCE5N.js";import{d as a}from"./chunks/chunk-IBJ6OCA2.js";import"./chunks/chunk-AOENJ6TN.js";import"./chunks/chunk-HXDHYYBD.js";import{readFileSync as E}from"node:fs";var w="hermes-handoff: ",g=n=>{process.stderr.write(`${n}
`)};f(w,g);async function b(n,e){let r=import.meta.url.endsWith(".ts"),s=new URL(r?`../examples/bin/${n}.ts`:`./examples/${n}.js`,import.meta.url),t=await import(s.href);if(typeof t!="object"||t===null||!("run"in t)||typeof t.run!="function")throw new Error(`${s.pathname} has no run(argv)`);let i=await t.run(e);return typeof i=="number"?i:1}function M(){try{let n=JSON.parse(E(new URL("../package.json",import.meta.url),"utf8"));if(typeof n=="object"&&n!==null&&"version"in n&&typeof n.version=="string")return n.version}catch{}return"unknown (package.json not found beside dist/)"}var l=n=>p.includes(n),h=n=>m.includes(n);async function y(n,e){if(h(n))return b(n,e);if(l(n)){u();let{runEngineCli:r}=await import("./chunks/engine-IJHD3IBL.js");return r(n,e)}switch(n){case"conformance":return(await import("./chunks/cli-PJQ4WOEV.js")).runConformanceCli(e);case"help":return l(e[0])||h(e[0])||e[0]==="conformance"?y(e[0],["--help"]):(process.stdout.write(o()),0);case"--help":case"-h":return process.stdout.write(o()),0;case"--version":case"-V":return process.stdout.write(`hermes-handoff ${M()}
`),0;case void 0:return process.stderr.write(o()),2;default:{let r=d(n);return process.stderr.write(`hermes-handoff: unknown command ${a(JSON.stringify(n),200)}${r?`: did you mean ${r}?`:""} (hermes-handoff --help lists them)
`),2}}}var[N,...k]=process.argv.slice(2);y(N,k).then(n=>process.exit(n),n=>{g(c(w,n)),process.exit(1)});
