// Sign-in secrets and family status tokens. Each is an HMAC of who it is for under the server's
// own key (kept in DATA_DIR, readable by the owner only), so no secret is ever written to the
// journal, the same link keeps working after a restart, and a secret cannot be guessed from another.
import { createHmac, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle } from '../shared/bundle';
import type { Actor, Role } from '../shared/protocol';

/** 32 base64url characters = 192 bits. */
const secretLength = 32;

export const kioskIds = ['K1', 'K2'];

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

export interface SignInLink { actor: Actor; label: string; secret: string }

export class Credentials {
  private readonly bySecret = new Map<string, Actor>();
  private readonly byStatusToken = new Map<string, string>();
  readonly links: SignInLink[] = [];

  constructor(private readonly key: Buffer, private readonly nightId: string, setup: Bundle) {
    const add = (role: Role, id: string, label: string) => {
      const secret = this.mac(`sign-in:${role}:${id}`);
      this.bySecret.set(secret, { role, id });
      this.links.push({ actor: { role, id }, label, secret });
    };
    add('coordinator', 'C1', 'Coordinator');
    for (const k of kioskIds) add('kiosk', k, `Kiosk ${k}`);
    add('board', 'B1', 'Lobby board');
    for (const t of Object.values(setup.teachers)) add('teacher', t.id, `Teacher ${t.name} (${setup.rooms[t.roomId]?.name ?? t.roomId})`);
    for (const s of Object.values(setup.staff)) add('staff', s.id, `${s.role === 'translator' ? 'Interpreter' : 'Ambassador'} ${s.name}`);
    for (const f of Object.keys(setup.families)) this.byStatusToken.set(this.statusTokenFor(f), f);
  }

  private mac(subject: string): string {
    return createHmac('sha256', this.key).update(`${this.nightId}\n${subject}`).digest('base64url').slice(0, secretLength);
  }

  statusTokenFor(familyId: string): string {
    return this.mac(`status:${familyId}`);
  }

  actorForSecret(secret: string): Actor | null {
    return this.bySecret.get(secret) ?? null;
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
