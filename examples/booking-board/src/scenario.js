// "Show me": plays the seeds' case on the first two replicas of this tab, one visible
// step at a time, through the same calls the board's controls make: B goes offline,
// both edit holds h1 and h2, B comes back. h1 settles by policy (confirmed absorbs, the
// later expiry wins); h2's released-vs-active lands in the inbox.

import { holdPath, localTime } from './board.js';

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the scenario on replicas `a` and `b`; resolves when B is back online. */
export async function playScenario(a, b, step = 700) {
  const set = (replica, hold, field, value) =>
    replica.write(`${hold}.${field}`, (doc) => doc.set(holdPath(hold, field), value));
  a.setOnline(true);
  b.setOnline(false);
  await pause(step);
  set(a, 'h1', 'status', 'confirmed');
  await pause(step);
  set(b, 'h1', 'status', 'released');
  await pause(step);
  set(a, 'h1', 'expires_at', localTime(60));
  await pause(step);
  set(b, 'h1', 'expires_at', localTime(120));
  await pause(step);
  set(a, 'h2', 'status', 'active');
  set(b, 'h2', 'status', 'released');
  await pause(step * 2);
  b.setOnline(true);
}
