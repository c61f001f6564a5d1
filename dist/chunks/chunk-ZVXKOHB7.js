import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
function n(r){if(r instanceof Error)return r.message;if(typeof r=="string")return r;try{return JSON.stringify(r)??String(r)}catch{return String(r)}}export{n as a};
