import { z } from 'zod';
import { AdapterCursor, Cursors, DiscordCursor, TelegramCursor } from './cursors.ts';
import { Deadlines, ObserveThresholds, Thresholds } from './deadlines.ts';
import { FRAME_SCHEMAS, HealthSample, Observation, PROTOCOL_VERSION, TimelineEntry, VerdictRecord } from './frames.ts';

/** What the zod schemas check that JSON Schema cannot say; docs/protocol.md is normative on each. */
const NOT_EXPRESSED = [
  'Lengths are UTF-16 code units (JSON Schema counts code points): an emoji counts 2.',
  'RESERVE: once completed from the defaults, deadlines.rollback_grace_ms must be at least deadlines.drain_ms.',
  'A HandoffId is never "." or "..".',
  'HELLO.handoff_id is checked as a HandoffId by blue after the token (section 6.1).',
  'Cursors hold at most 64 adapters.',
  'Unknown fields are ignored (not refused), and a number literal that is not a finite double makes the line invalid (section 3).',
];

/** The frames of this protocol version as one JSON Schema (2020-12) document, generated from the zod schemas; pure. */
export function protocolJsonSchema(): Record<string, unknown> {
  const reg = z.registry<{ id: string }>();
  const shared = { Cursors, AdapterCursor, TelegramCursor, DiscordCursor, HealthSample, TimelineEntry, VerdictRecord, Observation, Deadlines, Thresholds, ObserveThresholds };
  for (const [id, schema] of Object.entries(shared)) reg.add(schema, { id });
  for (const [id, schema] of Object.entries(FRAME_SCHEMAS)) reg.add(schema, { id });
  const { schemas } = z.toJSONSchema(reg, { io: 'input', uri: (id) => `#/$defs/${id}` });
  const defs: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
    defs[id] = rest;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `hermes-handoff protocol, version ${PROTOCOL_VERSION}: every frame`,
    description:
      'Generated from src/protocol (node --import tsx scripts/gen-protocol-schema.ts); docs/protocol.md is the normative text. ' +
      `Not expressed here: ${NOT_EXPRESSED.join(' ')}`,
    oneOf: Object.keys(FRAME_SCHEMAS).map((t) => ({ $ref: `#/$defs/${t}` })),
    $defs: defs,
  };
}
