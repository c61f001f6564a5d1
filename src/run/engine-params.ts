import type { Settings } from '../config/settings.ts';
import type { EngineParams } from '../core/params.ts';

/** The engine's view of the settings: the gateway and bake settings as they are, with the mode, the target, the handoff asked for and the interface's words. */
export function engineParams(s: Settings): EngineParams {
  return { ...s.gateway, ...s.bake, mode: s.mode, targetName: s.report.targetName, handoffId: s.handoffId, words: s.words };
}
