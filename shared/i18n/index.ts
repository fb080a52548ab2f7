// One catalogue per language; components never hard-code user-facing text.
import { en, type MessageKey } from './en';

export type Catalogue = Record<MessageKey, string>;
export const catalogues: Record<string, Catalogue> = { en };

export function translate(language: string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = catalogues[language]?.[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export type { MessageKey };
