import { epochToLocal } from '../../../shared/clock';

/** "18:15" in the night's own time zone, wherever the device is. */
export const clockTime = (epochMs: number, timeZone: string) => epochToLocal(epochMs, timeZone);

export const minutesBetween = (from: number, to: number) => Math.max(0, Math.round((to - from) / 60_000));

/** A ticking "now" for waited-minutes and timers; one per page. */
export class Now {
  value = $state(Date.now());
  #timer = setInterval(() => { this.value = Date.now(); }, 15_000);
  stop() { clearInterval(this.#timer); }
}
