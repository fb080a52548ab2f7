// A live rehearsal: the simulated night played against a running server through real Socket.IO
// clients, so a coordinator can watch every screen move. A kiosk checks families in as arrivals.csv
// says, each family's status page is open, teachers call the family the engine proposes, start when
// the family has had time to walk over and end when the conference has lasted what durations.csv
// says; ambassadors accept escorts after a few seconds. Everything is sped up by `speed`; the server
// keeps its own (real) clock.
import { io, type Socket } from 'socket.io-client';
import type { Bundle } from '../../shared/bundle';
import { minute } from '../../shared/clock';
import type { StaffView, TeacherView } from '../../shared/domain/projections';
import { ackSchema, queryAnswerSchema, type Ack } from '../../shared/protocol';
import { applySync, emptyReplica, type Replica as SyncReplica } from '../../shared/sync';
import type { NightInputs } from './simulate';

export interface RehearsalOptions {
  url: string;
  /** The coordinator's sign-in secret (the last part of the coordinator link). */
  coordinatorToken: string;
  setup: Bundle;
  inputs: NightInputs;
  /** Virtual minutes per real minute. */
  speed: number;
  log?: (line: string) => void;
  /** Gives up after this many real milliseconds. */
  timeoutMs?: number;
}

export interface RehearsalResult { checkedIn: number; conferences: number; calls: number; realMs: number; complete: boolean }

/** One socket holding a role's view, kept up to date the way the browser's sync client does. */
class Replica<V> {
  private replica: SyncReplica<V> = emptyReplica;
  readonly socket: Socket;

  constructor(url: string, auth: Record<string, string>, private readonly onChange: (view: V) => void = () => {}) {
    this.socket = io(url, { transports: ['websocket'], auth, reconnectionDelay: 200 });
    this.socket.on('connect', () => void this.hello());
    this.socket.on('sync', (message: unknown) => this.apply(message));
  }

  get view(): V | null { return this.replica.view; }

  private async hello() {
    const { nightId, seq } = this.replica;
    this.apply(await this.socket.timeout(10_000).emitWithAck('hello', { nightId, lastSeq: seq }).catch(() => null));
  }

  private apply(raw: unknown) {
    const outcome = applySync(this.replica, raw);
    if (!outcome.ok) {
      if (outcome.reason === 'gap') void this.hello();
      return;
    }
    this.replica = outcome.replica;
    if (this.replica.view) this.onChange(this.replica.view);
  }

  async send(command: Record<string, unknown>): Promise<Ack> {
    const commandId = `live-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const answer = await this.socket.timeout(10_000).emitWithAck('command', { ...command, commandId }).catch(() => null);
    const parsed = ackSchema.safeParse(answer);
    return parsed.success ? parsed.data : { ok: false, code: 'unavailable', message: 'no answer' };
  }

  close() { this.socket.close(); }
}

export async function rehearse(options: RehearsalOptions): Promise<RehearsalResult> {
  const { url, setup, inputs, speed } = options;
  const log = options.log ?? (() => {});
  const real = (virtualMs: number) => Math.max(0, virtualMs / speed);
  const started = Date.now();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
    timers.add(t);
  };

  // The coordinator's sheet of sign-in links gives every bot its own identity.
  const coordinator = new Replica(url, { token: options.coordinatorToken });
  const answer = queryAnswerSchema.parse(await coordinator.socket.timeout(10_000).emitWithAck('query', { type: 'signInLinks' }));
  if (!answer.ok) throw new Error(`The coordinator token was refused: ${answer.message}`);
  const links = answer.data as { role: string; id: string; secret: string }[];
  const secretOf = (role: string, id?: string) => links.find((l) => l.role === role && (id === undefined || l.id === id))?.secret;

  const durationOf = new Map<string, number>();
  for (const [familyId, list] of inputs.visits) for (const v of list) durationOf.set(`${familyId}:${v.teacherId}`, v.durationMs);
  const walkMs = Math.max(setup.event.walkMinutes.otherZone, setup.event.walkMinutes.sameZone) * minute;
  let calls = 0;
  let conferences = 0;
  let checkedIn = 0;
  const expected = durationOf.size;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });

  // Teachers: call what the engine proposes, start once the family could have walked over, end on time.
  const bots: Replica<unknown>[] = [coordinator];
  for (const teacherId of Object.keys(setup.teachers)) {
    const secret = secretOf('teacher', teacherId);
    if (!secret) continue;
    let calling = false;
    const startTimers = new Set<string>();
    const endTimers = new Set<string>();
    const teacher: Replica<TeacherView> = new Replica<TeacherView>(url, { token: secret }, (view) => {
      if (view.conference && !endTimers.has(view.conference.visitId)) {
        const visitId = view.conference.visitId;
        endTimers.add(visitId);
        later(real(durationOf.get(visitId) ?? setup.event.slotMinutes * minute), () => void teacher.send({ type: 'endConference', visitId }).then((ack) => {
          if (ack.ok && ++conferences === expected) finish();
        }));
      }
      if (view.called && !view.conference && !startTimers.has(view.called.visitId)) {
        const visitId = view.called.visitId;
        startTimers.add(visitId);
        later(real(walkMs), () => void teacher.send({ type: 'startConference', visitId }).then((ack) => {
          if (!ack.ok) startTimers.delete(visitId); // still in a conference: try again when it ends
        }));
      }
      if (!view.called && view.proposal && !calling) {
        calling = true;
        void teacher.send({ type: 'callFamily', teacherId }).then((ack) => {
          calling = false;
          if (ack.ok) calls++;
        });
      }
    });
    bots.push(teacher as Replica<unknown>);
  }

  // Ambassadors accept what they are offered after a few seconds of virtual time.
  for (const staffId of Object.keys(setup.staff)) {
    const secret = secretOf('staff', staffId);
    if (!secret) continue;
    const accepted = new Set<string>();
    const staff: Replica<StaffView> = new Replica(url, { token: secret }, (view) => {
      for (const task of view.tasks) {
        if (task.status !== 'offered' || accepted.has(task.taskId)) continue;
        accepted.add(task.taskId);
        later(real(20_000), () => void staff.send({ type: 'acceptTask', taskId: task.taskId }));
      }
    });
    bots.push(staff as Replica<unknown>);
  }

  // The kiosk checks families in at their (sped-up) arrival times; each family's page then opens.
  const kioskSecret = secretOf('kiosk');
  if (!kioskSecret) throw new Error('No kiosk sign-in link.');
  const kiosk = new Replica(url, { token: kioskSecret });
  bots.push(kiosk);
  const arrivals = [...inputs.arrivals].filter(([f]) => inputs.visits.has(f)).sort((a, b) => a[1] - b[1]);
  const first = arrivals[0]?.[1] ?? 0;
  for (const [familyId, at] of arrivals) {
    later(real(at - first), () => void kiosk.send({ type: 'checkIn', familyId, teacherIds: inputs.visits.get(familyId)!.map((v) => v.teacherId) }).then((ack) => {
      const token = ack.result?.statusToken;
      if (!token) return log(`check-in of ${familyId} refused: ${ack.ok ? '' : ack.message}`);
      checkedIn++;
      bots.push(new Replica(url, { statusToken: token }));
      if (checkedIn % 10 === 0) log(`${checkedIn} families checked in, ${conferences} conferences held`);
    }));
  }

  const timeout = new Promise<void>((resolve) => later(options.timeoutMs ?? 30 * 60_000, resolve));
  await Promise.race([finished, timeout]);
  for (const t of timers) clearTimeout(t);
  for (const b of bots) b.close();
  const result = { checkedIn, conferences, calls, realMs: Date.now() - started, complete: conferences === expected };
  log(`${result.complete ? 'Done' : 'Stopped'}: ${checkedIn} families, ${conferences} of ${expected} conferences, ${calls} calls in ${(result.realMs / 1000).toFixed(1)} s`);
  return result;
}
