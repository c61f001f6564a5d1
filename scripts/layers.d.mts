// Types of scripts/layers.mjs, for the tests that import it.
import type { ICruiseOptions, IForbiddenRuleType } from 'dependency-cruiser';

/** One part of the code base and what it may import. */
export interface Layer {
  path: string;
  is: string;
  may: string[];
}
/** Every layer, from the leaves up. */
export const LAYERS: Layer[];
/** How dependency-cruiser reads the code. */
export const CRUISE_OPTIONS: ICruiseOptions;
/** The regex of the modules that belong to `layer`. */
export function layerPattern(layer: Layer, layers?: Layer[]): string;
/** The layer a module belongs to, or null. */
export function layerOf(path: string, layers?: Layer[]): Layer | null;
/** The dependency-cruiser rules that hold the table. */
export function forbiddenRules(layers?: Layer[]): IForbiddenRuleType[];
