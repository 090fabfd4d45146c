#!/usr/bin/env node
// Thin shim: run the compiled CLI. The package ships dist/; a checkout makes it with `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('shroud: dist/cli/main.js is missing; in a checkout, run `npm run build` first\n');
  process.exit(3);
}
const { main } = await import(entry.href);
await main();
