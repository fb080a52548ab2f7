// A short way-finding hint for staff phones, from the rooms' zones: which wing, which floor.
import type { Bundle } from '../bundle';

export interface Wayfinding {
  /** The wing (the room's zone), or null for the main hall around the front desk. */
  wing: string | null;
  /** The floor, read from a room number like B204 (2), when the school numbers rooms that way. */
  floor: number | null;
  /** The same wing as where the walk starts: no need to cross the building. */
  sameWing: boolean;
}

export function wayfinding(setup: Bundle, fromRoomId: string, toRoomId: string): Wayfinding {
  const zoneOf = (roomId: string) => setup.rooms[roomId]?.zone ?? 'lobby';
  const to = zoneOf(toRoomId);
  const number = /(\d)\d\d$/.exec(toRoomId);
  return { wing: to === 'lobby' ? null : to, floor: number ? Number(number[1]) : null, sameWing: zoneOf(fromRoomId) === to };
}
