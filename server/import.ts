// The coordinator's upload of a bundle: the CSV files (sent as JSON, file name → text) or one zip.
// Too large for a socket message, so it is an HTTP endpoint, with the same rules as every command:
// signed in as the coordinator, validated by zod, decided and journaled through the one pipeline.
// The size is capped before anything is held in memory: a declared Content-Length over the cap is
// refused at once, and a body without one is counted as it streams and refused at the cap.
import type { Request, Response } from 'express';
import { unzipSync } from 'fflate';
import { parse as parseCookies } from 'cookie';
import { z } from 'zod';
import { parseBundle } from '../shared/bundle';
import type { Actor } from '../shared/protocol';
import { sessionCookieName, type Credentials } from './credentials';
import type { NightHost } from './night-host';

/** A large school's bundle is a few megabytes; twenty is generous and keeps a mistaken upload cheap. */
export const maxUploadBytes = 20 * 1024 * 1024;
const megabytes = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;

const fileName = z.string().regex(/^[a-z_]{1,40}\.(csv|json)$/, 'a bundle file name such as teachers.csv');
/** The CSV files as text, by name (what the browser sends when the coordinator picks several files). */
export const uploadSchema = z.strictObject({ files: z.record(fileName, z.string().max(maxUploadBytes)).refine((f) => Object.keys(f).length <= 20, 'at most 20 files') });

export type ImportAnswer =
  | { ok: true; seq: number; counts: { teachers: number; families: number; students: number; staff: number; rooms: number; activities: number } }
  | { ok: false; errors: string[] };

/** The coordinator behind a request: the HttpOnly cookie their sign-in link set. */
export function coordinatorOf(req: Request, credentials: Credentials): Actor | null {
  const secret = parseCookies(req.headers.cookie ?? '')[sessionCookieName('coordinator')];
  const actor = secret ? credentials.actorForSecret(secret) : null;
  return actor?.role === 'coordinator' ? actor : null;
}

class TooLarge extends Error {}

/** How much of a refused body is read and dropped so the browser sees the answer; past it the connection is cut. */
const drainLimit = 4 * maxUploadBytes;

/** Reads and drops the rest of a refused request (never kept), cutting off a body that goes on and on. */
function drain(req: Request): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > drainLimit) req.socket.destroy();
  });
  req.resume();
}

/** Reads the body chunk by chunk, refusing it (without keeping it) once it passes the cap. */
function readCapped(req: Request, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        // Drained and dropped, so the client can read the refusal; an endless body is cut off.
        if (size > drainLimit) req.socket.destroy();
        return;
      }
      if (size > cap) {
        over = true;
        chunks.length = 0;
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!over) resolve(Buffer.concat(chunks)); });
    req.on('error', reject);
  });
}

/** The bundle's files by name from a zip: folders inside it are ignored, only .csv and .json are read. */
function filesFromZip(bytes: Uint8Array, errors: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  let total = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (!/\.(csv|json)$/i.test(f.name) || f.name.includes('__MACOSX')) return false;
        total += f.originalSize;
        if (total > maxUploadBytes) throw new TooLarge();
        return true;
      },
    });
  } catch (e) {
    if (e instanceof TooLarge) throw e;
    errors.push('The zip file could not be opened. Make a new zip of the bundle\'s files and try again.');
    return files;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [path, data] of Object.entries(entries)) {
    const name = path.split('/').at(-1)!.toLowerCase();
    if (files[name] !== undefined) { errors.push(`The zip holds ${name} twice.`); continue; }
    try {
      files[name] = decoder.decode(data);
    } catch {
      errors.push(`${name} is not UTF-8 text. Save it as "CSV UTF-8" and try again.`);
    }
  }
  return files;
}

export function importHandler(host: NightHost, credentials: Credentials, clock: () => number) {
  let imports = 0;
  return async (req: Request, res: Response): Promise<void> => {
    const answer = (status: number, body: ImportAnswer) => { res.status(status).set('Cache-Control', 'no-store').json(body); };
    const refuse = (status: number, message: string) => answer(status, { ok: false, errors: [message] });
    const actor = coordinatorOf(req, credentials);
    if (!actor) {
      drain(req);
      return refuse(401, 'Only the coordinator can import a bundle. Open the coordinator\'s sign-in link first.');
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxUploadBytes) {
      // Refused before a byte of it is read; the rest is drained unread so the browser sees the answer.
      drain(req);
      return refuse(413, `The upload is ${megabytes(declared)}; a bundle may be at most ${megabytes(maxUploadBytes)}. Remove files that are not part of the bundle (photos, exports of other years) and try again.`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && type !== 'application/zip') {
      drain(req);
      return refuse(415, 'Upload the bundle\'s CSV files or one zip file.');
    }
    let body: Buffer;
    try {
      body = await readCapped(req, maxUploadBytes);
    } catch (e) {
      if (e instanceof TooLarge) return refuse(413, `The upload is larger than ${megabytes(maxUploadBytes)}, the most a bundle may be. Remove files that are not part of the bundle and try again.`);
      return refuse(400, 'The upload was interrupted. Please try again.');
    }

    const errors: string[] = [];
    let files: Record<string, string>;
    if (type === 'application/zip') {
      try {
        files = filesFromZip(body, errors);
      } catch {
        return refuse(413, `Unpacked, the zip is larger than ${megabytes(maxUploadBytes)}, the most a bundle may be.`);
      }
    } else {
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(400, 'The upload could not be read. Please pick the files again.');
      }
      const parsed = uploadSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return refuse(400, `The upload was not understood (${issue.path.slice(1).join('.') || 'files'}: ${issue.message}).`);
      }
      files = parsed.data.files;
    }
    if (errors.length) return answer(422, { ok: false, errors });

    // Every file checked, every reference resolved, before anything is stored.
    const result = parseBundle(files);
    if (!result.ok) return answer(422, { ok: false, errors: result.errors });
    const ack = await host.submit({ type: 'importBundle', commandId: `import-${host.epoch}-${clock()}-${++imports}`, setup: result.bundle }, actor, clock());
    if (!ack.ok) return refuse(ack.code === 'unavailable' ? 503 : 409, ack.message);
    const b = result.bundle;
    answer(200, {
      ok: true, seq: ack.seq,
      counts: {
        teachers: Object.keys(b.teachers).length, families: Object.keys(b.families).length, students: Object.keys(b.students).length,
        staff: Object.keys(b.staff).length, rooms: Object.keys(b.rooms).length, activities: b.activities.length,
      },
    });
  };
}
