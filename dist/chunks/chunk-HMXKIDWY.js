import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{a as s}from"./chunk-AEBZXVTS.js";var a=["promote","preflight","status","rollback"],n=["demo","example-gateway","fake-platform"],r=["conformance"],h={promote:"start green beside the running gateway, hand over, bake, report the verdict",preflight:"check that the host is ready for a handoff; changes nothing",status:"follow the handoff under way, or report how the last one ended",rollback:"ask the handoff under way to roll back (during its bake)",demo:"a full promotion of the reference gateway on this machine, with nothing to install","example-gateway":"run the reference gateway (blue; green when HERMES_HANDOFF_ID is set)","fake-platform":"run the fake chat platforms (Telegram, Discord) for a gateway to poll",conformance:"drive a gateway's blue or green through the protocol's edge cases, one line per case"};function i(){let o=[...a,...n,...r],m=Math.max(...o.map(e=>e.length))+2,t=e=>`  ${e.padEnd(m)}${h[e]}`;return`Usage: hermes-handoff <command> [flags]

Commands (the action's modes; flags are its inputs):
${a.map(t).join(`
`)}

Examples (not the product; they run on this machine):
${n.map(t).join(`
`)}

For a gateway's maintainers:
${r.map(t).join(`
`)}

hermes-handoff <command> --help (or hermes-handoff help <command>) shows a command's flags.
hermes-handoff --version prints the version.
Exit status: 0 success, 1 a failed verdict, 2 bad input.
`}function l(o){return s(o,[...a,...n,...r,"help"])}export{a,n as b,h as c,i as d,l as e};
