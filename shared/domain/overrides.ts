// The coordinator's overrides the routing engine respects, kept apart from the engine's own rule so
// that the engine can change without losing them.
import type { Visit } from './state';

/** Ahead of every other key (booked slots included): families moved to the front, in the order moved. */
const frontOfLineBase = -2e15;

/** The routing key of a family the coordinator moved to the front of a line, or null. */
export function frontOfLineKey(visit: Visit): number | null {
  return visit.frontAt === undefined ? null : frontOfLineBase + visit.frontAt;
}
/** Booked slots' keys are near -1e15 (see routing's priorityKey): anything well below is a front-of-line family. */
export const isFrontOfLineKey = (key: number) => key < -1.5e15;
