import { run } from './run.js';

/** Entry point for bin/shroud.js and `npm start`: wires the process to run(). */
export async function main(): Promise<void> {
  // A reader that stops early (`shroud export vap | head`) closes the pipe: the rest of the output
  // has nowhere to go, which is no error of ours. The command still finishes and sets its exit code.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
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
