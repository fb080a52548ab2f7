// A refusal names its sentence by a catalogue key (refusal.* in shared/i18n/en.ts) with the names and
// numbers it needs, so that every screen can show it in its reader's language. The English `message`
// stays for programs, logs and tests; it is made from the same key by the English catalogue.
import type { ErrorCode } from '../protocol';
import { translate, type MessageKey } from '../i18n';

export type RefusalKey = Extract<MessageKey, `refusal.${string}`>;
export type RefusalParams = Record<string, string | number>;
export type Refusal<C extends ErrorCode = ErrorCode> = { ok: false; code: C; message: string; key?: RefusalKey; params?: RefusalParams };

export function refuse<C extends ErrorCode>(code: C, key: RefusalKey, params?: RefusalParams): Refusal<C> {
  return { ok: false, code, message: translate('en', key, params), key, ...(params ? { params } : {}) };
}
