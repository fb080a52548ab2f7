// Tonight's activities as the engine sees them: a family at one is present and called from there,
// but not pulled out of a performance in progress without a five-minute heads-up on its phone first.
import type { Activity, Bundle } from '../bundle';
import { localToEpoch, minute } from '../clock';
import type { CheckIn, NightState } from './state';
import { valuesOf } from './records';

/** How long a family at an activity is told before it is called away. */
export const headsUpMs = 5 * minute;

/** When an activity starts and ends tonight (epoch ms); empty times mean all night. */
export function activityTimes(setup: Bundle, activity: Activity): { starts: number; ends: number } {
  const { date, timezone } = setup.event;
  return {
    starts: activity.startsAt ? localToEpoch(date, activity.startsAt, timezone) : -Infinity,
    ends: activity.endsAt ? localToEpoch(date, activity.endsAt, timezone) : Infinity,
  };
}

/**
 * Until when a family may not be called away from where it is: only from a performance in progress,
 * and only until five minutes after its heads-up (if it has had none, at least five minutes from now).
 */
export function activityHoldUntil(state: NightState, checkIn: CheckIn, now: number): number {
  if (checkIn.activityId === null) return 0;
  const setup = state.setup!;
  const activity = setup.activities.find((a) => a.id === checkIn.activityId);
  if (!activity || activity.kind !== 'performance') return 0;
  const { starts, ends } = activityTimes(setup, activity);
  if (now < starts || now >= ends) return 0;
  const told = checkIn.headsUpAt ?? null;
  return Math.min(ends, (told ?? now) + headsUpMs);
}

export function heldAtActivity(state: NightState, familyId: string, now: number): boolean {
  const c = state.checkIns[familyId];
  return !!c && activityHoldUntil(state, c, now) > now;
}

/**
 * Families at an activity, not told yet, whose next conference is expected to need them within five
 * minutes (`starts`: the forecast's estimated starts; `walkMs`: from where they are to the room).
 */
export function headsUpDue(state: NightState, now: number, starts: Map<string, number>, walkMs: (familyId: string, visitId: string) => number): string[] {
  const due: string[] = [];
  for (const c of valuesOf(state.checkIns)) {
    if (c.activityId === null || c.leftAt !== null || (c.headsUpAt ?? null) !== null) continue;
    const close = c.visitIds.some((id) => {
      const start = state.visits[id].status === 'waiting' ? starts.get(id) : undefined;
      return start !== undefined && start - walkMs(c.familyId, id) <= now + headsUpMs;
    });
    if (close) due.push(c.familyId);
  }
  return due;
}
