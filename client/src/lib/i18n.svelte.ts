import { isRightToLeft, translate, type MessageKey } from '../../../shared/i18n';

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
