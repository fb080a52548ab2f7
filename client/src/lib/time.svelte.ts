import { epochToLocal } from '../../../shared/clock';

/** "18:15" in the night's own time zone, wherever the device is. */
export const clockTime = (epochMs: number, timeZone: string) => epochToLocal(epochMs, timeZone);

export const minutesBetween = (from: number, to: number) => Math.max(0, Math.round((to - from) / 60_000));

/** "7:05" (minutes:seconds) of a duration; never negative. */
export function minutesSeconds(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** A ticking "now" for waited-minutes and timers; one per page. */
export class Now {
  value = $state(Date.now());
  #timer: ReturnType<typeof setInterval>;
  constructor(everyMs = 15_000) {
    this.#timer = setInterval(() => { this.value = Date.now(); }, everyMs);
  }
  stop() { clearInterval(this.#timer); }
}
