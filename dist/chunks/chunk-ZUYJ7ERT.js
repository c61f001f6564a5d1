import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
function u(n,r){return String(+n.toFixed(r))}function a(n){return Number.isFinite(n)&&n>0?Math.round(n):0}function m(n){let r=a(n);if(r<1e3)return`${r} ms`;let e=Math.floor((r+50)/100);if(e<600)return`${Math.floor(e/10)}${e%10?`.${e%10}`:""} s`;let t=Math.floor((r+500)/1e3);if(t<3600)return`${Math.floor(t/60)} min${t%60?` ${t%60} s`:""}`;let i=Math.floor((r+3e4)/6e4);return`${Math.floor(i/60)} h${i%60?` ${i%60} min`:""}`}function b(n,r){let e=m(n),t=a(n);if(r===void 0||n===r||m(r)!==e||!Number.isFinite(n)||t>=6e4)return e;let[i,c,s]=t<1e3?[1,"ms",0]:[1e3,"s",1];for(let o=s+1;o<=s+3;o++){let f=u(n/i,o);if(f!==u(r/i,o))return`${f} ${c}`}return e}function $(n,r){let e=n*100,t=1;for(;t<4&&r!==void 0&&n!==r&&u(e,t)===u(r*100,t);)t++;return`${u(e,t)}%`}function l(n,r){return`${n} ${r}${n===1?"":"s"}`}function d(n){let r=new Date(Number.isFinite(n)?n:0);return Number.isNaN(r.getTime())?"an invalid time":r.toISOString().replace(/\.\d{3}Z$/,"Z")}export{u as a,b,$ as c,l as d,d as e};
