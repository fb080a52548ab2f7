// Every command × every role over real sockets, including a teacher acting on another teacher's
// line, an ambassador on another's assignment and a family page acting for another family. The
// table below is the specification, written out by hand (not read from authorize.ts): each cell is
// allowed (anything but `forbidden`) or refused (`forbidden`, and the night is byte-for-byte the same).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Ack, Command, CommandType, Query } from '../../shared/protocol';
import { commandTypes } from '../../shared/protocol';
import { newCommandId, type TestClient } from '../helpers/client';
import { Harness } from '../helpers/server';

type Who = 'kiosk' | 'board' | 'coordinator' | 'teacher' | 'otherTeacher' | 'staff' | 'otherStaff' | 'family' | 'otherFamily';
const everyone: Who[] = ['kiosk', 'board', 'coordinator', 'teacher', 'otherTeacher', 'staff', 'otherStaff', 'family', 'otherFamily'];

/** Who may send each command. "teacher" is the teacher whose line it is; "family" the family it is for. */
const allowed: Record<CommandType, Who[]> = {
  checkIn: ['kiosk', 'coordinator'],
  callFamily: ['teacher', 'coordinator'],
  startConference: ['teacher', 'coordinator'],
  endConference: ['teacher', 'coordinator'],
  markNoShow: ['teacher', 'coordinator'],
  putBack: ['teacher', 'coordinator'],
  saveCommitments: ['teacher'],
  saveNote: ['teacher'],
  stepOut: ['family', 'kiosk', 'coordinator'],
  returnToLine: ['family', 'kiosk', 'coordinator'],
  joinActivity: ['family', 'kiosk', 'coordinator'],
  leaveActivity: ['family', 'kiosk', 'coordinator'],
  leave: ['family', 'coordinator'],
  takeBreak: ['teacher', 'coordinator'],
  runningLate: ['teacher', 'coordinator'],
  resume: ['teacher', 'coordinator'],
  setStaffStatus: ['staff', 'coordinator'],
  acceptTask: ['staff'],
  declineTask: ['staff'],
  finishTask: ['staff', 'coordinator'],
  openNight: ['coordinator'],
  closeNight: ['coordinator'],
  revokeSignIn: ['coordinator'],
  arriveTask: ['staff'],
  pinInterpreter: ['coordinator'],
  unpinInterpreter: ['coordinator'],
  // "staff" is the ambassador leading F0001's tour (started just before); any other ambassador is refused.
  tickChecklist: ['family', 'staff', 'coordinator'],
  leadTour: ['staff'],
  endTour: ['staff', 'coordinator'],
  moveToFront: ['coordinator'],
  reassignInterpreter: ['coordinator'],
  reassignEscort: ['coordinator'],
  announce: ['coordinator'],
  editSetup: ['coordinator'],
  purgePersonalData: ['coordinator'],
  registerWalkIn: ['kiosk', 'coordinator'],
};

const queriesAllowed: Record<Query['type'], Who[]> = {
  findFamilies: ['kiosk', 'coordinator'],
  familyDetails: ['kiosk', 'coordinator'],
  signInLinks: ['coordinator'],
  auditLog: ['coordinator'],
  nightReport: ['coordinator'],
  kiosks: ['coordinator'],
  kioskDirectory: ['kiosk', 'coordinator'],
  firstStop: ['kiosk', 'coordinator'],
};

// Hamza Tran (F0001) sees Mx. Pierre (T001); Zoe Davis (F0002) is the other family, Dr. Ramirez (T002) the other teacher.
const visitId = 'F0001:T001';
const ambassadors = ['A001', 'A002', 'A003', 'A004', 'A005', 'A006', 'A007', 'A008', 'A009', 'A010'];

const h = new Harness();
let server: RunningServer;
const clients = new Map<string, TestClient>();
let taskId = '';

const stateHash = () => createHash('sha256').update(JSON.stringify(server.host.committed)).update(String(server.host.committedSeq)).digest('hex');
const taskOwner = () => server.host.committed.tasks[taskId]?.staffId ?? null;
/** The ambassador who leads F0001's classroom tour in the tour commands' cells. */
const tourGuide = 'A010';
const tourCommands: CommandType[] = ['leadTour', 'tickChecklist', 'endTour'];

/** The client that plays `who` for this command (the ambassador whose assignment it is, and one who is not). */
function clientFor(who: Who, type: CommandType): TestClient {
  const staffOwn = type === 'setStaffStatus' ? 'A001' : tourCommands.includes(type) ? tourGuide : taskOwner();
  const id = {
    kiosk: 'kiosk:K1', board: 'board:B1', coordinator: 'coordinator:C1', teacher: 'teacher:T001', otherTeacher: 'teacher:T002',
    staff: `staff:${staffOwn}`, otherStaff: `staff:${ambassadors.find((a) => a !== staffOwn)}`, family: 'family:F0001', otherFamily: 'family:F0002',
  }[who];
  const client = clients.get(id);
  if (!client) throw new Error(`no client for ${who} (${id})`);
  return client;
}

/** A well-formed command of each type, aimed at F0001, its visit with T001, T001, A001 or the escort task. */
function commandOf(type: CommandType): Command {
  const commandId = newCommandId('matrix');
  const base = { commandId } as const;
  switch (type) {
    case 'checkIn': return { ...base, type, familyId: 'F0001' };
    case 'callFamily': return { ...base, type, teacherId: 'T001' };
    case 'startConference': case 'endConference': case 'markNoShow': case 'putBack': return { ...base, type, visitId };
    case 'saveCommitments': return { ...base, type, visitId, commitments: [{ who: 'family', text: 'Read together every night' }] };
    case 'saveNote': return { ...base, type, visitId, text: 'Private: ask about reading' };
    case 'stepOut': return { ...base, type, familyId: 'F0001', minutes: 5 };
    case 'returnToLine': case 'leave': case 'leaveActivity': return { ...base, type, familyId: 'F0001' };
    case 'joinActivity': return { ...base, type, familyId: 'F0001', activityId: 'ACT3' };
    case 'takeBreak': return { ...base, type, teacherId: 'T001', minutes: 5 };
    case 'runningLate': return { ...base, type, teacherId: 'T001', minutes: 5 };
    case 'resume': return { ...base, type, teacherId: 'T001' };
    case 'setStaffStatus': return { ...base, type, staffId: 'A001', status: 'break' };
    case 'acceptTask': case 'declineTask': case 'finishTask': return { ...base, type, taskId };
    case 'openNight': case 'closeNight': return { ...base, type };
    case 'revokeSignIn': return { ...base, type, role: 'kiosk', id: 'K2' };
    case 'arriveTask': return { ...base, type, taskId };
    case 'pinInterpreter': return { ...base, type, staffId: 'X001', teacherId: 'T001', minutes: 30 };
    case 'unpinInterpreter': return { ...base, type, staffId: 'X001' };
    case 'tickChecklist': return { ...base, type, familyId: 'F0001', activityId: 'ACT1', item: 0, done: !server.host.committed.checkIns.F0001.ticked?.ACT1?.includes(0) };
    case 'leadTour': return { ...base, type, staffId: tourGuide, ticket: server.host.committed.checkIns.F0001.ticket };
    case 'endTour': return { ...base, type, staffId: tourGuide };
    case 'moveToFront': return { ...base, type, visitId };
    case 'reassignInterpreter': return { ...base, type, visitId, staffId: 'A001' };
    case 'reassignEscort': return { ...base, type, taskId, staffId: 'A002' };
    case 'announce': return { ...base, type, audience: { to: 'everyone' }, message: { template: 'dinner' } };
    case 'editSetup': return { ...base, type, item: { kind: 'room', id: 'R900', name: 'Library', zone: 'north' } };
    case 'purgePersonalData': return { ...base, type };
    case 'registerWalkIn': return {
      ...base, type, familyId: `W-${newCommandId('walkin').replace(/[^A-Za-z0-9]/g, '').slice(-16)}`, guardianName: 'Ana Lopez', language: 'es',
      children: [{ firstName: 'Lia', teacherId: 'T001' }], wantsInterpreter: false, wantsEscort: false,
    };
  }
}

// The order in which the commands are tried: the night stays open and the family here until the end.
const order: CommandType[] = [
  'checkIn', 'acceptTask', 'arriveTask', 'declineTask', 'finishTask', 'setStaffStatus', 'startConference', 'saveCommitments', 'saveNote',
  'endConference', 'takeBreak', 'runningLate', 'resume', 'callFamily', 'putBack', 'markNoShow', 'stepOut', 'returnToLine', 'joinActivity', 'leaveActivity',
  'pinInterpreter', 'unpinInterpreter', 'leadTour', 'tickChecklist', 'endTour',
  'leave', 'openNight', 'closeNight', 'revokeSignIn',
  'leave', 'openNight', 'moveToFront', 'reassignInterpreter', 'reassignEscort', 'announce', 'editSetup', 'closeNight', 'revokeSignIn',
  // Last: deleting the night's personal data is allowed only once it is closed.
  'purgePersonalData',
  'registerWalkIn', 'leave', 'openNight', 'closeNight', 'revokeSignIn',
];

beforeAll(async () => {
  server = await h.start({ rateLimit: false });
  const add = async (role: Parameters<Harness['client']>[1], id: string) => clients.set(`${role}:${id}`, await h.client(server, role, id));
  await add('kiosk', 'K1');
  await add('board', 'B1');
  await add('coordinator', 'C1');
  await add('teacher', 'T001');
  await add('teacher', 'T002');
  for (const a of ambassadors) await add('staff', a);
  clients.set('family:F0001', await h.family(server, 'F0001'));
  clients.set('family:F0002', await h.family(server, 'F0002'));
  // F0001 is here, asked for a guide, and has been called by T001: there is a visit, a called family and an escort task.
  const kiosk = clients.get('kiosk:K1')!;
  expect(await kiosk.command({ type: 'checkIn', familyId: 'F0001', wantsEscort: true })).toMatchObject({ ok: true });
  expect(await kiosk.command({ type: 'checkIn', familyId: 'F0002' })).toMatchObject({ ok: true });
  expect(await clients.get('teacher:T001')!.command({ type: 'callFamily', teacherId: 'T001', visitId })).toMatchObject({ ok: true });
  taskId = Object.values(server.host.committed.tasks).find((t) => t.visitId === visitId)!.id;
  expect(taskOwner()).not.toBeNull();
});
afterAll(() => h.cleanup());

describe('every command × every role', () => {
  it('the table covers every command', () => {
    expect(new Set(order)).toEqual(new Set(commandTypes));
    expect(new Set(Object.keys(allowed))).toEqual(new Set(commandTypes));
  });

  for (const type of order) {
    it(type, async () => {
      // Refused first (each must leave the night exactly as it was), then the allowed ones.
      const refused = everyone.filter((w) => !allowed[type].includes(w));
      for (const who of refused) {
        await server.host.idle(); // a check-in's estimates, kept just after it, are in
        const before = stateHash();
        const ack: Ack = await clientFor(who, type).rawCommand(commandOf(type));
        expect(ack, `${who} ${type}`).toMatchObject({ ok: false, code: 'forbidden' });
        expect(stateHash(), `${who} ${type} changed the night`).toBe(before);
      }
      for (const who of allowed[type]) {
        const ack: Ack = await clientFor(who, type).rawCommand(commandOf(type));
        expect(ack.ok ? 'applied' : ack.code, `${who} ${type}: ${JSON.stringify(ack)}`).not.toBe('forbidden');
      }
    });
  }
});

describe('every query × every role', () => {
  const queries: Query[] = [
    { type: 'findFamilies', text: 'Tran' }, { type: 'familyDetails', familyId: 'F0001' }, { type: 'signInLinks' }, { type: 'auditLog' },
    { type: 'nightReport' }, { type: 'kiosks' },
    { type: 'kioskDirectory' }, { type: 'firstStop', familyId: 'F0001' },
  ];
  for (const query of queries) {
    it(query.type, async () => {
      for (const who of everyone) {
        const answer = await clientFor(who, 'checkIn').query(query);
        // (firstStop answers not_found for a family not checked in: allowed, but nothing to say yet.)
        if (queriesAllowed[query.type].includes(who)) expect(answer.ok || (query.type === 'firstStop' && answer.code === 'not_found'), `${who} ${query.type}: ${JSON.stringify(answer)}`).toBe(true);
        else expect(answer, `${who} ${query.type}`).toMatchObject({ ok: false, code: 'forbidden' });
      }
    });
  }
});
