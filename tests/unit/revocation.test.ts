// Revoking a sign-in in the pure core: given / when / then, like the rest of the domain tests.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide } from '../../shared/domain/decide';
import { evolve, evolveAll } from '../../shared/domain/evolve';
import { emptyNight } from '../../shared/domain/state';
import type { Actor, Command } from '../../shared/protocol';
import { demoBundleDir } from '../helpers/server';

const files = Object.fromEntries(readdirSync(demoBundleDir).map((f) => [f, readFileSync(path.join(demoBundleDir, f), 'utf8')]));
const parsed = parseBundle(files);
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const at = Date.UTC(2026, 10, 19, 23, 0);
const night = evolveAll(emptyNight, [{ type: 'nightCreated', at, setup: parsed.bundle }, { type: 'nightOpened', at }]);
const coordinator: Actor = { role: 'coordinator', id: 'C1' };
const revoke = (role: string, id: string) => ({ type: 'revokeSignIn', role, id, commandId: `revoke-${role}-${id}` }) as Command;

describe('revokeSignIn', () => {
  it('given a night, when the coordinator revokes a teacher twice, then the version goes 1, 2 — and no secret is in the event', () => {
    const first = decide(night, revoke('teacher', 'T001'), { now: at, actor: coordinator });
    expect(first).toEqual({ ok: true, events: [{ type: 'signInRevoked', at, role: 'teacher', id: 'T001', version: 1 }] });
    const once = evolveAll(night, first.ok ? first.events : []);
    expect(once.signInVersions).toEqual({ 'teacher:T001': 1 });
    const second = decide(once, revoke('teacher', 'T001'), { now: at, actor: coordinator });
    expect(second.ok && second.events[0]).toMatchObject({ version: 2 });
    // evolve never mutates its input.
    expect(night.signInVersions).toEqual({});
  });

  it('knows every kind of sign-in, and refuses ones that do not exist', () => {
    for (const [role, id] of [['kiosk', 'K2'], ['board', 'B1'], ['staff', 'A001'], ['family', 'F0001'], ['teacher', 'T002']]) {
      expect(decide(night, revoke(role, id), { now: at, actor: coordinator }).ok, `${role} ${id}`).toBe(true);
    }
    for (const [role, id] of [['kiosk', 'K9'], ['board', 'B2'], ['staff', 'Z001'], ['family', 'F9999'], ['teacher', 'T999']]) {
      expect(decide(night, revoke(role, id), { now: at, actor: coordinator }), `${role} ${id}`).toMatchObject({ ok: false, code: 'not_found' });
    }
  });

  it('only the coordinator may revoke', () => {
    for (const actor of [{ role: 'teacher', id: 'T001' }, { role: 'kiosk', id: 'K1' }, { role: 'staff', id: 'A001' }, { role: 'family', id: 'F0001' }, { role: 'board', id: 'B1' }] as Actor[]) {
      expect(decide(night, revoke('kiosk', 'K2'), { now: at, actor })).toMatchObject({ ok: false, code: 'forbidden' });
    }
  });

  it('a state from before revocations existed (no signInVersions) still evolves', () => {
    const old = { ...night } as Partial<typeof night>;
    delete old.signInVersions;
    const next = evolve(old as typeof night, { type: 'signInRevoked', at, role: 'kiosk', id: 'K1', version: 1 });
    expect(next.signInVersions).toEqual({ 'kiosk:K1': 1 });
  });
});
