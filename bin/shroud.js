#!/usr/bin/env node
// Thin shim: run the TypeScript CLI through tsx's loader so `npx shroud` works from a checkout.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
