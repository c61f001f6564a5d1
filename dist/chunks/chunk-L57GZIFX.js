import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
var s={SIGINT:130,SIGTERM:143,SIGHUP:129};function f(r=1e4){let t=!1,n=new Map,i=o=>process.listeners(o).filter(e=>e!==n.get(o)),S=o=>{let e=i("SIGTERM");(t||e.length===0)&&process.exit(s[o]),t=!0,setTimeout(()=>process.exit(s[o]),r).unref();for(let c of e)c("SIGTERM")};for(let o of Object.keys(s)){let e=()=>{if(o==="SIGHUP")return S(o);(t||i(o).length===0)&&process.exit(s[o]),t=!0,setTimeout(()=>process.exit(s[o]),r).unref()};n.set(o,e),process.on(o,e)}let p=()=>{t||S("SIGTERM")};process.stdout.on("error",p),process.stderr.on("error",p)}export{f as a};
