import { setTimeout } from 'node:timers/promises';

/**
 * One turn of the event loop through its timers. node:test's `timeout` is a timer, so a test
 * whose synchronous work overran it still passes unless it awaits this afterwards: the timeout's
 * timer is then due first and fails the test. Tests that bound work by a timeout end with it.
 */
export function timerTurn(): Promise<void> {
  return setTimeout(0);
}
