import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
function i(o){return o.toLowerCase().replace(/[_ ]/g,"-")}function u(o,l){let r=Array.from({length:l.length+1},(n,e)=>e);for(let n=1;n<=o.length;n++){let e=[n];for(let t=1;t<=l.length;t++)e[t]=Math.min((r[t]??0)+1,(e[t-1]??0)+1,(r[t-1]??0)+(o[n-1]===l[t-1]?0:1));r=e}return r[l.length]??0}function g(o,l){let r=i(o);if(r==="")return null;let n=null;for(let t of l){let s=u(r,i(t));(n===null||s<n.d)&&(n={c:t,d:s})}if(n!==null&&n.d<=Math.max(2,Math.floor(r.length/3)))return n.c;let e=l.filter(t=>i(t).startsWith(`${r}-`));return e.length===1?e[0]??null:null}export{g as a};
