import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
var p=n=>n.replace(/[.*+?^${}()|[\]\\]/g,"\\$&");function f(n){let t=new Set,r=n.trim();if(r.length>=4){t.add(r);let i=JSON.stringify(r).slice(1,-1);i!==r&&t.add(i)}if(/[\r\n]/.test(n))for(let i of n.split(/\r?\n/)){let e=i.trim();e.length>=4&&t.add(e)}return[...t]}function g(n,t=[]){let r=[];for(let s of n)for(let o of f(s))r.push([o,"***"]);for(let s of t)for(let o of f(s))r.push([o,"[redacted]"]);if(r.length===0)return s=>s;r.sort((s,o)=>o[0].length-s[0].length);let i=new RegExp(r.map(([s])=>p(s)).join("|"),"g"),e=new Map(r);return s=>s.replace(i,o=>e.get(o)??"***")}var c=class{constructor(t,r=[]){this.redact=r;this.known=[...t],this.fn=g(this.known,r)}redact;known;fn;add(t){this.known.includes(t)||(this.known.push(t),this.fn=g(this.known,this.redact))}get secrets(){return this.known}scrub=t=>this.fn(t)};function a(n,t){return typeof n=="string"?t(n):Array.isArray(n)?n.map(r=>a(r,t)):n!==null&&typeof n=="object"?Object.fromEntries(Object.entries(n).map(([r,i])=>[r,a(i,t)])):n}export{g as a,c as b,a as c};
