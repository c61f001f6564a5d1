import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
var n="rerun with mode: status";function o(t,e){return`cannot connect to ${t}: ${e}`}function r(t){return`cancelled (${t}): the host finishes the handoff on its own; ${n} to report it`}var c=`cancelled: the run stopped before a verdict (${n})`;export{n as a,o as b,r as c,c as d};
