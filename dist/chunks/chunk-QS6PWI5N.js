import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
var b={"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","@":"&#64;"};function s(e){return e.replace(/[\r\n\t]+/g," ").replace(/[&<>"@\\`*_{}[\]()#!|~]/g,n=>b[n]??`\\${n}`)}function f(e,n=""){let t=Math.max(0,...[...e.matchAll(/`+/g)].map(o=>o[0].length)),r="`".repeat(Math.max(3,t+1));return`${r}${n}
${e.replace(/\r\n?/g,`
`).replace(/\n+$/,"")}
${r}`}function $(e){return e.replace(/[^A-Za-z0-9 ._-]/g," ").replace(/\s+/g," ").trim().slice(0,40)||"phase"}function _(e){return!e||!/^https?:\/\/\S+$/i.test(e)?null:e.replace(/[()<>"'`\\[\]]/g,n=>`%${n.charCodeAt(0).toString(16).toUpperCase().padStart(2,"0")}`)}var g=30,d=100,y=80,S=8e3,T={promoted:"\u2705 Promoted",unchanged:"\u2705 Unchanged",ready:"\u2705 Ready","rolled-back":"\u21A9\uFE0F Rolled back",reverted:"\u23EA Reverted after promotion",failed:"\u274C Failed","timed-out":"\u23F1\uFE0F Timed out","not-ready":"\u274C Not ready"};function p(e){if(e==null||!Number.isFinite(e))return"\u2014";if(e<1e3)return`${Math.round(e*10)/10} ms`;if(e<6e4)return`${(e/1e3).toFixed(1)} s`;let n=Math.round(e/1e3);return`${Math.floor(n/60)} min ${String(n%60).padStart(2,"0")} s`}function k(e,n){return`+${((e-n)/1e3).toFixed(3)} s`}function m(e,n){return[`| ${e.join(" | ")} |`,`| ${e.map(()=>"---").join(" | ")} |`,...n.map(t=>`| ${t.join(" | ")} |`)].join(`
`)}function R(e,n){if(e.length<=n)return e;let t=[];for(let r=0;r<n;r++)t.push(e[Math.round(r*(e.length-1)/(n-1))]);return t}function M(e){let n=Math.max(0,Math.min(e,86399999)),t=Math.floor(n/36e5),r=Math.floor(n%36e5/6e4),o=Math.floor(n%6e4/1e3),i=Math.floor(n%1e3);return`${String(t).padStart(2,"0")}:${String(r).padStart(2,"0")}:${String(o).padStart(2,"0")}.${String(i).padStart(3,"0")}`}function H(e,n,t){if(e.length===0)return"";let r=e[e.length-1]?.at??n,o=Math.max(t,r)-n,i=Math.max(50,Math.round(o*.02)),c=["```mermaid","gantt","  title Handoff phases (min:s from the first phase)","  dateFormat HH:mm:ss.SSS","  axisFormat %M:%S","  section phases"];return e.slice(0,d).forEach((u,a)=>{let l=e[a+1],h=u.at-n,x=l?Math.max(l.at-n,h+1):Math.max(t-n,h+i);c.push(`  ${$(u.phase)} :p${a}, ${M(h)}, ${M(x)}`)}),c.push("```"),c.join(`
`)}function O(e,n){let t=R(e,g).map(o=>{let i=o.handled>0?`${(o.errors/o.handled*100).toFixed(1)} %`:"\u2014";return[String(o.seq),k(o.at,n),String(o.handled),String(o.errors),i,p(o.latency_p50_ms),p(o.latency_p99_ms)]}),r=e.length>g?`

${g} of ${e.length} samples, evenly spread.`:"";return m(["#","at","handled","errors","error rate","p50","p99"],t)+r}function w(e){let t=e.replace(/\r\n?/g,`
`).replace(/\n+$/,"").split(`
`).slice(-y).join(`
`);return t.length>S?t.slice(t.length-S):t}function L(e,n={}){let t=e,r=[];n.marker&&r.push(n.marker),r.push(`### ${T[t.verdict]}: ${s(t.reason)||"no reason given"}`);let o=[["Target",s(t.target_name)],["Mode",t.mode],["Release",s(t.release)],["Runtime",s(t.runtime)],["Handoff id",t.handoff_id?s(t.handoff_id):"\u2014"],["Duration",p(t.duration_ms)],["Bake",p(t.bake_ms)],["Dark window",p(t.dark_window_ms)],["Blue / green pid",`${t.blue_pid??"\u2014"} / ${t.green_pid??"\u2014"}`]];r.push(m(["",""],o));let i=t.timeline[0]?.at??t.health[0]?.at??0,c=Math.max(i,...t.timeline.map(a=>a.at),...t.health.map(a=>a.at));if(t.timeline.length>0){r.push("#### Timeline");let a=t.timeline.slice(0,d).map(l=>[s(l.phase),k(l.at,i),l.note?s(l.note):""]);r.push(m(["phase","at","note"],a)),t.timeline.length>d&&r.push(`${d} of ${t.timeline.length} entries shown.`),r.push(H(t.timeline,i,c))}t.health.length>0&&(r.push("#### Health over the bake"),r.push(O(t.health,i))),t.checks.length>0&&(r.push("#### Preflight checks"),r.push(m(["check","result","detail"],t.checks.map(a=>[s(a.name),a.ok?"\u2705 ok":"\u274C failed",s(a.detail)])))),t.green_log_tail&&t.green_log_tail.trim()!==""&&r.push(`<details><summary>Green's log (last lines)</summary>

${f(w(t.green_log_tail),"text")}

</details>`);let u=_(n.runUrl);return u&&r.push(`[Open the run](${u})`),`${r.join(`

`)}
`}export{s as a,_ as b,L as c};
