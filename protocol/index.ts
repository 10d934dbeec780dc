/** The one protocol module: imported by the engine, the Electron shell and the dashboard. */
export * from './events.ts';
export * from './gauges.ts';
export * from './knobs.ts';
export * from './bridge.ts';
export * from './leak-detection.ts';
export * from './outgoing.ts';
export * from './request-detail.ts';
export * from './scenarios.ts';
export * from './event-wire.ts';
