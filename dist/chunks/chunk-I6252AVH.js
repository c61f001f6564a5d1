import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
var E={home:"HERMES_HOME",runtime:"HERMES_RUNTIME",release:"HERMES_RELEASE",socket:"HERMES_HANDOFF_SOCKET",handoffId:"HERMES_HANDOFF_ID"};export{E as a};
