import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
var o={kind:"action",input:n=>n,set:(n,e)=>`${n}: ${e}`,label:n=>`input "${n}"`,inputs:"inputs",mode:n=>`mode: ${n}`,rerun:n=>`rerun with mode: ${n}`,deadline:"the action's deadline"},i=o.rerun("status");function d(n,e){return`cannot connect to ${n}: ${e}`}function a(n,e=o){return`cancelled (${n}): the host finishes the handoff on its own; ${e.rerun("status")} to report it`}function l(n,e,t,r=""){let s=t===null?"":` while the host was in phase ${t}`;return`${n.deadline} of ${Math.round(e/1e3)} s passed${s}${r===""?"":`: ${r}`}; ${n.rerun("status")}`}function u(n,e,t){return`handoff ${e} is still in phase ${t}; ${n.rerun("status")}`}function c(n){return`rollback requested by ${n.kind==="action"?`hermes-handoff (${n.mode("rollback")})`:n.mode("rollback")}`}var g=`cancelled: the run stopped before a verdict (${i})`;export{o as a,i as b,d as c,a as d,l as e,u as f,c as g,g as h};
