// Interpreter pins: the coordinator keeps an interpreter (often a bilingual student) in one teacher's
// room for a while. The engine asks this before sending an interpreter anywhere.
import type { NightState } from './state';

/** 'here': pinned to this teacher's room; 'elsewhere': kept for another teacher; null: not pinned then. */
export type PinPlace = 'here' | 'elsewhere' | null;

export function pinPlace(state: NightState, staffId: string, teacherId: string, at: number): PinPlace {
  const pin = state.pins?.[staffId];
  if (!pin || pin.until <= at) return null;
  return pin.teacherId === teacherId ? 'here' : 'elsewhere';
}
