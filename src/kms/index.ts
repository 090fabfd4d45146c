export * from './proto.js';
