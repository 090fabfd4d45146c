/** In-tree admission objects compiled from Shroud's policies and injection (pure: objects in, objects out). */
export * from './map.js';
export { celString } from './map-cel.js';
export { exportInjectionGuard, GUARD_NAME } from './map-guard.js';
