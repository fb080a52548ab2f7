// The demo night as test servers start it: without its booked slots. The demo keeps its slots'
// times of day (17:15, 18:30 …) on today's date, and the engine keeps a teacher's time free before
// the slot of a booked family not here yet, so with bookings what "call next" and the estimates give
// would depend on the hour the tests run at. Bookings are tested on nights of their own (routing.test.ts).
import { demoNightEvents } from '../../server/demo';
import type { NightEvent } from '../../shared/domain/state';

export async function demoNightWithoutBookings(now: number): Promise<NightEvent[]> {
  return (await demoNightEvents(now)).map((e) => (e.type === 'nightCreated' ? { ...e, setup: { ...e.setup, appointments: [] } } : e));
}
