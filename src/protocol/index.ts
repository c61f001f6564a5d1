export * from './ids.ts';
export * from './deadlines.ts';
export * from './frames.ts';
export * from './framing.ts';
export * from './health.ts';
export * from './machine.ts';
