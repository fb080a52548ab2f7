// The kiosk's two reads. The kiosk never holds the roster: it asks for the few families that match
// what was typed, and sees them only as "Sofia W." with their children's first names.
import type { Bundle } from '../bundle';
import { teachersOfFamily } from './decide';
import type { NightState } from './state';

export const maxKioskMatches = 5;

export interface KioskMatch { familyId: string; label: string; children: string[]; checkedIn: boolean }
export interface KioskSearchResult { matches: KioskMatch[]; tooMany: boolean }
export interface KioskFamilyDetails {
  familyId: string; label: string; language: string; needsEscort: boolean; checkedIn: boolean;
  /** The children's first names, as the picker shows them. */
  children: string[];
  teachers: { id: string; name: string; roomName: string; children: string[]; speaksFamilyLanguage: boolean; languages: string[] }[];
}

export const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase('en');
export const lastNameOf = (fullName: string) => fullName.trim().split(/\s+/).at(-1) ?? '';

export function familyLabel(setup: Bundle, familyId: string): string {
  const [first, ...rest] = setup.families[familyId].guardianName.trim().split(/\s+/);
  const last = rest.at(-1);
  return last ? `${first} ${last[0]}.` : first;
}

export function findFamilies(state: NightState, text: string): KioskSearchResult {
  const setup = state.setup;
  if (!setup) return { matches: [], tooMany: false };
  const query = fold(text.trim());
  const byPhone = /^\d{4}$/.test(query);
  if (!byPhone && (query.length < 2 || /\d/.test(query))) return { matches: [], tooMany: false };
  const found: string[] = [];
  for (const family of Object.values(setup.families)) {
    const hit = byPhone
      ? family.phoneLast4 === query
      : fold(lastNameOf(family.guardianName)).startsWith(query)
        || family.studentIds.some((s) => setup.students[s] && fold(setup.students[s].lastName).startsWith(query));
    if (hit) found.push(family.id);
    if (found.length > maxKioskMatches) return { matches: [], tooMany: true };
  }
  return {
    tooMany: false,
    matches: found.map((id) => ({
      familyId: id, label: familyLabel(setup, id),
      children: setup.families[id].studentIds.map((s) => setup.students[s]?.firstName ?? '').filter(Boolean),
      checkedIn: !!state.checkIns[id],
    })),
  };
}

export function familyDetails(state: NightState, familyId: string): KioskFamilyDetails | null {
  const setup = state.setup;
  const family = setup?.families[familyId];
  if (!setup || !family) return null;
  const teachers = [...teachersOfFamily(setup, familyId)].map(([teacherId, studentIds]) => {
    const t = setup.teachers[teacherId];
    return {
      id: t.id, name: t.name, roomName: setup.rooms[t.roomId]?.name ?? '',
      children: studentIds.map((s) => setup.students[s].firstName),
      speaksFamilyLanguage: t.languages.includes(family.language), languages: t.languages,
    };
  });
  return {
    familyId, label: familyLabel(setup, familyId), language: family.language, needsEscort: family.needsEscort,
    checkedIn: !!state.checkIns[familyId], teachers,
    children: family.studentIds.map((s) => setup.students[s]?.firstName ?? '').filter(Boolean),
  };
}
