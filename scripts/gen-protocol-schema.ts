// Writes docs/protocol.schema.json from the zod schemas of src/protocol (test/protocol/schema.test.ts
// fails when it is stale).  node --import tsx scripts/gen-protocol-schema.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { protocolJsonSchema } from '../src/protocol/json-schema.ts';

const path = join(import.meta.dirname, '..', 'docs', 'protocol.schema.json');
writeFileSync(path, JSON.stringify(protocolJsonSchema(), null, 2) + '\n');
process.stdout.write(`wrote ${path}\n`);
