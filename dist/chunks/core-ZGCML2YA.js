import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import{A,B,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z}from"./chunk-JDDJZILX.js";import"./chunk-HXDHYYBD.js";export{g as ExitCode,j as addPath,r as debug,x as endGroup,s as error,h as exportVariable,m as getBooleanInput,B as getIDToken,k as getInput,l as getMultilineInput,A as getState,y as group,v as info,q as isDebug,a as markdownSummary,u as notice,f as platform,z as saveState,o as setCommandEcho,p as setFailed,n as setOutput,i as setSecret,w as startGroup,b as summary,e as toPlatformPath,c as toPosixPath,d as toWin32Path,t as warning};
