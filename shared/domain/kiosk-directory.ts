// The kiosk's sealed directory, so that families can still be found while the network is down,
// without the kiosk ever holding a browsable roster.
//
// Each family is sealed once per search term that finds it (the whole folded last name of the
// guardian or of a child, or the last four phone digits): the box is filed under a hash of the term
// and encrypted with a keystream derived from the term. The kiosk keeps the directory in memory
// only (never in storage); to open a family's box one must type their name or digits, as with the
// online search. It is a privacy screen, not strong encryption: four phone digits are easy to try.
import { sha256 } from '../sha256';
import type { NightState } from './state';
import { familyDetails, fold, lastNameOf, maxKioskMatches, type KioskFamilyDetails, type KioskSearchResult } from './kiosk';

export interface KioskDirectory { salt: string; boxes: Record<string, string[]> }
/** Tonight's teachers as the kiosk's view lists them: sealed entries name teachers by id only. */
export interface DirectoryTeacher { id: string; name: string; roomName: string; languages: string[] }
type Hash = (data: Uint8Array) => Uint8Array;
/** What one box holds, kept short (a big school has thousands of boxes). */
interface Sealed { f: string; l: string; g: string; e: boolean; c: string[]; t: [teacherId: string, children: string[]][] }

const encoder = new TextEncoder();
const concat = (...parts: (Uint8Array | string)[]) => {
  const bytes = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) { out.set(b, at); at += b.length; }
  return out;
};
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** What a typed search term is, as the directory files it: folded name, or exactly four digits. */
export const directoryTerm = (typed: string) => fold(typed.trim());

function keystream(hash: Hash, termKey: Uint8Array, nonce: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) out.set(hash(concat(termKey, nonce, String(block))).subarray(0, Math.min(32, length - block * 32)), block * 32);
  return out;
}
const termKeyOf = (hash: Hash, salt: string, term: string) => hash(concat(salt, '\n', term));
const fileOf = (hash: Hash, termKey: Uint8Array) => hex(hash(concat(termKey, 'file'))).slice(0, 32);
const xor = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x ^ b[i]);

/** `hash` is SHA-256: the server passes node:crypto's (fast); the kiosk uses ../sha256. */
export function buildKioskDirectory(state: NightState, randomHex: (bytes: number) => string, hash: Hash = sha256): KioskDirectory {
  const setup = state.setup;
  const salt = randomHex(16);
  const boxes: Record<string, string[]> = {};
  if (!setup) return { salt, boxes };
  for (const family of Object.values(setup.families)) {
    const d = familyDetails(state, family.id)!;
    const sealed: Sealed = { f: d.familyId, l: d.label, g: d.language, e: d.needsEscort, c: d.children, t: d.teachers.map((x) => [x.id, x.children]) };
    const terms = new Set([lastNameOf(family.guardianName), ...family.studentIds.map((s) => setup.students[s]?.lastName ?? '')].map(fold).filter((t) => t.length >= 2));
    if (/^\d{4}$/.test(family.phoneLast4)) terms.add(family.phoneLast4);
    const plain = encoder.encode(JSON.stringify(sealed));
    for (const term of terms) {
      const key = termKeyOf(hash, salt, term);
      const nonce = randomHex(8);
      (boxes[fileOf(hash, key)] ??= []).push(`${nonce}.${toBase64(xor(plain, keystream(hash, key, nonce, plain.length)))}`);
    }
  }
  return { salt, boxes };
}

/** The families a typed term finds in the directory (exact terms only), as the online search answers. */
export function searchKioskDirectory(directory: KioskDirectory, typed: string, teachers: DirectoryTeacher[]): { result: KioskSearchResult; details: KioskFamilyDetails[] } {
  const term = directoryTerm(typed);
  const key = termKeyOf(sha256, directory.salt, term);
  const byId = new Map(teachers.map((x) => [x.id, x]));
  const details: KioskFamilyDetails[] = [];
  for (const box of directory.boxes[fileOf(sha256, key)] ?? []) {
    const [nonce, text] = box.split('.');
    const bytes = fromBase64(text);
    try {
      const s = JSON.parse(new TextDecoder().decode(xor(bytes, keystream(sha256, key, nonce, bytes.length)))) as Sealed;
      details.push({
        familyId: s.f, label: s.l, language: s.g, needsEscort: s.e, children: s.c, checkedIn: false,
        teachers: s.t.flatMap(([id, children]) => {
          const x = byId.get(id);
          return x ? [{ id, name: x.name, roomName: x.roomName, children, languages: x.languages, speaksFamilyLanguage: x.languages.includes(s.g) }] : [];
        }),
      });
    } catch { /* a box that does not open under this term: not this family */ }
  }
  if (details.length > maxKioskMatches) return { result: { matches: [], tooMany: true }, details: [] };
  return {
    result: { tooMany: false, matches: details.map((d) => ({ familyId: d.familyId, label: d.label, children: d.children, checkedIn: d.checkedIn })) },
    details,
  };
}
