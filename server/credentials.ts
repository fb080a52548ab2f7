// Sign-in secrets and family status tokens. Each is an HMAC of who it is for under the server's
// own key (kept in DATA_DIR, readable by the owner only), so no secret is ever written to the
// journal, the same link keeps working after a restart, and a secret cannot be guessed from another.
import { createHmac, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle } from '../shared/bundle';
import { deviceIds, signInKey } from '../shared/domain/state';
import type { Actor, Role } from '../shared/protocol';

/** 32 base64url characters = 192 bits. */
const secretLength = 32;

export const kioskIds: readonly string[] = deviceIds.kiosk;

const keyBytes = 32;

/** The server's signing key: made once, synced to disk, and refused if damaged (never an empty key). */
export async function loadServerKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'server.key');
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text !== null) {
    const key = Buffer.from(text.trim(), 'base64url');
    if (key.length === keyBytes) return key;
    if (text.trim().length > 0) throw new Error(`${file} is damaged (not a ${keyBytes}-byte key). Restore it from a backup, or delete it to issue new sign-in links.`);
    // Empty: a crash while it was first written, before any link was handed out. Make it again.
  }
  const key = randomBytes(keyBytes);
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.writeFile(key.toString('base64url'));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}

export interface SignInLink { actor: Actor; label: string; secret: string; /** Teachers only: the short code typed at /signin on a shared laptop. */ code?: string }

/** Short codes avoid characters that are easy to misread (0/O, 1/I/L). */
const codeAlphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const teacherCodeLength = 8;
/** What a person typed, as a code: upper case, without spaces or dashes. */
export const normalizeCode = (typed: string) => typed.toUpperCase().replace(/[\s-]/g, '');

/**
 * Every secret is derived from (role, id, version). The version is the number of times the
 * coordinator revoked that sign-in (journaled in the night's state, never the secret itself), so a
 * revocation kills the old link and cookie at once and a new link can be handed out.
 */
export class Credentials {
  private bySecret = new Map<string, Actor>();
  private byCode = new Map<string, string>();
  private byStatusToken = new Map<string, string>();
  private versions: Record<string, number> = {};
  private who: { actor: Actor; label: string }[] = [];
  private familyIds: string[] = [];
  private setup: Bundle | null = null;

  constructor(private readonly key: Buffer, private readonly nightId: string, setup: Bundle, versions: Record<string, number> = {}) {
    this.versions = versions;
    this.useSetup(setup);
  }

  /** Takes a new or edited setup (an imported bundle, a teacher added by hand): who signs in changes. */
  useSetup(setup: Bundle): void {
    if (setup === this.setup) return;
    this.setup = setup;
    const who: { actor: Actor; label: string }[] = [];
    const add = (role: Role, id: string, label: string) => who.push({ actor: { role, id }, label });
    add('coordinator', 'C1', 'Coordinator');
    for (const k of kioskIds) add('kiosk', k, `Kiosk ${k}`);
    for (const b of deviceIds.board) add('board', b, 'Lobby board');
    for (const t of Object.values(setup.teachers)) add('teacher', t.id, `Teacher ${t.name} (${setup.rooms[t.roomId]?.name ?? t.roomId})`);
    for (const s of Object.values(setup.staff)) add('staff', s.id, `${s.role === 'translator' ? 'Interpreter' : 'Ambassador'} ${s.name}`);
    this.who = who;
    this.familyIds = Object.keys(setup.families);
    this.rebuild(this.versions);
  }

  private mac(subject: string): string {
    return createHmac('sha256', this.key).update(`${this.nightId}\n${subject}`).digest('base64url').slice(0, secretLength);
  }

  private version(role: Role, id: string): number {
    return this.versions[signInKey(role, id)] ?? 0;
  }

  /** Version 0 keeps the form links had before revocation existed, so handed-out links stay valid. */
  private subject(kind: string, role: Role | null, id: string): string {
    const v = this.version(role ?? 'family', id);
    return `${kind}:${role ? `${role}:` : ''}${id}${v ? `:v${v}` : ''}`;
  }

  private rebuild(versions: Record<string, number>): void {
    this.versions = versions;
    this.bySecret = new Map();
    this.byCode = new Map();
    this.byStatusToken = new Map();
    for (const { actor } of this.who) {
      const secret = this.secretFor(actor);
      this.bySecret.set(secret, actor);
      if (actor.role === 'teacher') this.byCode.set(this.teacherCodeFor(actor.id), secret);
    }
    for (const f of this.familyIds) this.byStatusToken.set(this.statusTokenFor(f), f);
  }

  /** Takes the night's revocations; returns the sign-ins ("role:id") whose secret just changed. */
  sync(versions: Record<string, number> | undefined): string[] {
    const next = versions ?? {};
    if (next === this.versions) return [];
    const changed = [...new Set([...Object.keys(next), ...Object.keys(this.versions)])].filter((k) => (next[k] ?? 0) !== (this.versions[k] ?? 0));
    this.rebuild(next);
    return changed;
  }

  private secretFor(actor: Actor): string {
    return this.mac(this.subject('sign-in', actor.role, actor.id));
  }

  /** The current sign-in link of every device and person. */
  get links(): SignInLink[] {
    return this.who.map(({ actor, label }) => ({
      actor, label, secret: this.secretFor(actor), ...(actor.role === 'teacher' ? { code: this.teacherCodeFor(actor.id) } : {}),
    }));
  }

  /** A teacher's short code: 8 characters of a 31-letter alphabet (about 40 bits), typed on a shared laptop. */
  teacherCodeFor(teacherId: string): string {
    const bytes = createHmac('sha256', this.key).update(`${this.nightId}\n${this.subject('code', 'teacher', teacherId)}`).digest();
    let code = '';
    for (let i = 0; i < teacherCodeLength; i++) code += codeAlphabet[bytes[i] % codeAlphabet.length];
    return code;
  }

  statusTokenFor(familyId: string): string {
    return this.mac(this.subject('status', null, familyId));
  }

  actorForSecret(secret: string): Actor | null {
    return this.bySecret.get(secret) ?? null;
  }

  /** The sign-in secret a typed teacher code stands for (the cookie holds the secret, as with a link). */
  secretForCode(typed: string): string | null {
    return this.byCode.get(normalizeCode(typed)) ?? null;
  }

  /** Families registered after start (walk-ins) get a status token like the school's own. */
  knowFamilies(ids: string[]): void {
    for (const f of ids) {
      if (this.familyIds.includes(f)) continue;
      this.familyIds.push(f);
      this.byStatusToken.set(this.statusTokenFor(f), f);
    }
  }

  familyForStatusToken(token: string): string | null {
    return this.byStatusToken.get(token) ?? null;
  }
}

/** Each role has its own cookie, so one browser can be a board and a coordinator at once. */
export const sessionCookieName = (role: Role) => `cn_${role}`;

export const pathForRole: Record<Role, string> = {
  kiosk: '/kiosk', teacher: '/teacher', coordinator: '/coordinator', board: '/board', staff: '/ambassador', family: '/status', system: '/',
};
