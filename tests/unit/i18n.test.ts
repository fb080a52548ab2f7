// Every catalogue has every key of the English one, with the same placeholders, and nothing else.
import { describe, expect, test } from 'vitest';
import { catalogues, isRightToLeft, languages, translate } from '../../shared/i18n';
import { en } from '../../shared/i18n/en';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe.each(languages.filter((l) => l !== 'en'))('the %s catalogue', (language) => {
  const catalogue = catalogues[language] as Record<string, string>;

  test('has every key of the English catalogue', () => {
    const missing = Object.keys(en).filter((k) => typeof catalogue[k] !== 'string' || catalogue[k].trim() === '');
    expect(missing, `${language} is missing these keys`).toEqual([]);
  });

  test('has no key English does not have', () => {
    expect(Object.keys(catalogue).filter((k) => !(k in en))).toEqual([]);
  });

  test('keeps every {placeholder} of each English text', () => {
    const wrong = Object.entries(en).filter(([k, text]) => catalogue[k] !== undefined && placeholders(catalogue[k]).join() !== placeholders(text).join());
    expect(wrong.map(([k]) => k)).toEqual([]);
  });

  test('names itself in its own language', () => {
    expect(catalogue['language.name']).not.toBe(en['language.name']);
  });
});

test('the fixtures\' languages all have a catalogue, and only Arabic is right to left', () => {
  expect(languages).toEqual(expect.arrayContaining(['en', 'es', 'vi', 'ar', 'so', 'ht']));
  expect(languages.filter(isRightToLeft)).toEqual(['ar']);
});

test('a missing key falls back to English rather than showing nothing', () => {
  expect(translate('xx', 'kiosk.search')).toBe('Find me');
  expect(translate('es', 'status.ticket', { ticket: 'T-4' })).toBe('Número T-4');
});
