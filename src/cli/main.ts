import { run } from './run.js';

/** Entry point for bin/shroud.js and `npm start`: wires the process to run(). */
export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
