// "Delete this night's personal data": names, phone digits, teachers' private notes and the
// conferences' commitments go; ids, times, languages and every figure stay. The same two pure
// functions clean the live state and every event in the journal, so replaying a cleaned journal
// gives the cleaned state.
import type { Bundle } from '../bundle';
import type { NightEvent, NightState, Visit } from './state';

export function anonymousSetup(setup: Bundle): Bundle {
  const families: Bundle['families'] = {};
  for (const [id, f] of Object.entries(setup.families)) families[id] = { ...f, guardianName: `Family ${id}`, phoneLast4: '' };
  const students: Bundle['students'] = {};
  for (const [id, s] of Object.entries(setup.students)) students[id] = { ...s, firstName: `Student ${id}`, lastName: '' };
  return { ...setup, families, students };
}

const anonymousVisit = (v: Visit): Visit => {
  const { note: _note, commitments, ...rest } = v;
  return commitments ? { ...rest, commitments: [] } : rest;
};

export function withoutPersonalData(state: NightState): NightState {
  const visits: NightState['visits'] = {};
  for (const [id, v] of Object.entries(state.visits)) visits[id] = anonymousVisit(v);
  return { ...state, setup: state.setup && anonymousSetup(state.setup), visits };
}

/** The same event with nothing personal in it (events without personal data come back unchanged). */
export function eventWithoutPersonalData(event: NightEvent): NightEvent {
  switch (event.type) {
    case 'nightCreated': return { ...event, setup: anonymousSetup(event.setup) };
    case 'commitmentsSaved': return { ...event, commitments: [] };
    case 'noteSaved': return { ...event, text: '' };
    default: return event;
  }
}
