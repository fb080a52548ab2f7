import { catalogues, isRightToLeft, translate, type MessageKey } from '../../../shared/i18n';
import { en } from '../../../shared/i18n/en';

// The page's language is reactive state, so switching it re-renders every label at once.
let language = $state('en');

export function setLanguage(code: string): void {
  language = code;
  document.documentElement.lang = code;
  // Arabic lays the whole page out right to left.
  document.documentElement.dir = isRightToLeft(code) ? 'rtl' : 'ltr';
}
export const currentLanguage = () => language;
export const t = (key: MessageKey, params?: Record<string, string | number>) => translate(language, key, params);

/**
 * The staff, teacher and coordinator screens speak the browser's language when there is a catalogue
 * for it (the kiosk and the family's page choose theirs from the family), else English.
 */
export function useBrowserLanguage(): void {
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language];
  const found = wanted.map((tag) => tag.toLowerCase().split('-')[0]).find((code) => code in catalogues);
  setLanguage(found ?? 'en');
}

/** A refused command or query, as the server (or the sync client) answered it. */
export interface RefusalLike { code: string; message: string; key?: string; params?: Record<string, string | number> }

/**
 * A refusal in the page's language: its own sentence when it names a catalogue key (every refusal of
 * decide does), else, in another language than English, the catalogue's text for its error code; the
 * server's English message otherwise (it is the most precise text there is in English).
 */
export function refusalText(refusal: RefusalLike): string {
  if (refusal.key && refusal.key in en) return t(refusal.key as MessageKey, refusal.params);
  const byCode = `error.${refusal.code}`;
  return language !== 'en' && byCode in en ? t(byCode as MessageKey) : refusal.message;
}
