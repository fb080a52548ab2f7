// One catalogue per language; components never hard-code user-facing text.
// English is the reference: tests/unit/i18n.test.ts fails when another catalogue misses one of its
// keys or changes its {placeholders}. A key still missing at run time falls back to English.
import { ar } from './ar';
import { en, type MessageKey } from './en';
import { es } from './es';
import { ht } from './ht';
import { so } from './so';
import { vi } from './vi';

export type Catalogue = Record<MessageKey, string>;
export const catalogues: Record<string, Partial<Catalogue>> = { en, es, vi, ar, so, ht };
/** The languages a family can choose at the kiosk, in the order shown there. */
export const languages = Object.keys(catalogues);
const rightToLeft = new Set(['ar']);

export const isRightToLeft = (language: string) => rightToLeft.has(language);

export function translate(language: string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = catalogues[language]?.[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export type { MessageKey };
