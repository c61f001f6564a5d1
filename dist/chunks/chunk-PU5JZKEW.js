import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{m as r}from"./chunk-Z34VTNKB.js";var a=1e4,s=15e3;function m(t){return Math.min(r.drain_ms,t??r.rollback_grace_ms)}function u(t,e,n){return[{what:"the bake",input:"bake-seconds",ms:t},{what:"green's start-up to ready",input:"ack-timeout-seconds",ms:e.ack_ms},{what:"the drain",input:null,ms:e.drain_ms},{what:"green's confirm",input:null,ms:e.confirm_ms},{what:"the last heartbeat",input:"max-heartbeat-age-seconds",ms:n.max_heartbeat_age_ms},{what:"the takeover",input:null,ms:e.takeover_ms},{what:"blue's answers to STATUS and RESERVE",input:null,ms:2*a},{what:"seeing green answer on the socket",input:null,ms:s}]}function i(t){return t.reduce((e,n)=>e+n.ms,0)}var E={home:"HERMES_HOME",runtime:"HERMES_RUNTIME",release:"HERMES_RELEASE",socket:"HERMES_HANDOFF_SOCKET",handoffId:"HERMES_HANDOFF_ID"};export{a,s as b,m as c,u as d,i as e,E as f};
