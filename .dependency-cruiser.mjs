// The import rules (scripts/layers.mjs) as dependency-cruiser checks them: `npm run lint` fails on a wrong arrow.
import { CRUISE_OPTIONS, forbiddenRules } from './scripts/layers.mjs';

/** @type {import('dependency-cruiser').IConfiguration} */
export default { forbidden: forbiddenRules(), options: CRUISE_OPTIONS };
