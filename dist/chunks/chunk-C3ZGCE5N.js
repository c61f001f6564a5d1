import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{d as s}from"./chunk-IBJ6OCA2.js";var c=500,o=new Set;function f(r){return o.add(r),()=>{o.delete(r)}}function l(r){try{return r instanceof Error?`${r.name&&r.name!=="Error"?`${r.name}: `:""}${r.message}`:typeof r=="string"?r:JSON.stringify(r)??String(r)}catch{return"an unprintable value"}}function u(r,e){let t=l(e);for(let n of o)try{t=n(t)}catch{t="the error message was withheld (it could not be scrubbed)"}return s(`${r}${t}`,c)}function d(r){return`::error::${r.replace(/%/g,"%25").replace(/\r/g,"%0D").replace(/\n/g,"%0A")}
`}var a=!1;function p(r,e,t=1){if(a)return;a=!0;let n=i=>{try{e(u(r,i))}finally{process.exit(t)}};process.on("unhandledRejection",n),process.on("uncaughtException",n)}async function m(r,e,t,n=1){try{return await t()}catch(i){return e(u(r,i)),n}}export{f as a,u as b,d as c,p as d,m as e};
