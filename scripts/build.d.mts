// Types of scripts/build.mjs, for the tests that import it.
import type { Metafile } from 'esbuild';

/** The product's entries, by output name. */
export const PRODUCT_ENTRIES: Record<string, string>;
/** The examples' entries, by output name (under examples/). */
export const EXAMPLE_ENTRIES: Record<string, string>;
/** Dependency modules replaced by stand-ins, and why. */
export const LEFT_OUT: Array<{ why: string; importer: RegExp; path: string; contents: string }>;
/** Builds every entry into `outdir` (emptied first); resolves with esbuild's metafile. */
export function buildDist(outdir: string): Promise<Metafile>;
