// What the reference gateway's "agent" (the chat model Hermes would run) sees and answers, the same
// for every platform adapter.
import type { MessageId } from './store.ts';

/** A message to answer: which adapter read it, its id there (the store's dedupe key), its text. */
export interface IncomingMessage {
  adapter: string;
  id: MessageId;
  text: string;
}

/** What the agent answers a message with; `error` marks a failed run (still answered, counted as an error). */
export interface AgentReply {
  text: string;
  error: boolean;
}

/** The agent: one answer per message. */
export type Agent = (m: IncomingMessage) => Promise<AgentReply>;

/** How a paused adapter leaves the platform for the next one (protocol.md sections 12.5 and 12.6; docs/gateway.md). */
export const HANDOVER_ORDERS = ['break-before-make', 'make-before-break'] as const;
/** break-before-make: end the poll / close the connection at pause; make-before-break: keep it until the next one's replaces it. */
export type HandoverOrder = (typeof HANDOVER_ORDERS)[number];
