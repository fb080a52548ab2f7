// The teacher's export: tonight's finished conferences as CSV, built in the browser from the
// teacher's own view (given a view, when exported, then these rows).
import { describe, expect, it } from 'vitest';
import { teacherExportCsv, teacherExportFileName } from '../../client/src/lib/teacher-export';
import type { TeacherFinishedEntry, TeacherView } from '../../shared/domain/projections';
import { translate, type MessageKey } from '../../shared/i18n';

const t = (key: MessageKey, params?: Record<string, string | number>) => translate('en', key, params);
const at = (hhmm: string) => Date.parse(`2026-11-19T${hhmm}:00-06:00`); // America/Chicago in November

function viewWith(finished: TeacherFinishedEntry[]): TeacherView {
  return {
    role: 'teacher',
    night: { id: 'n', name: 'Night', phase: 'open', timezone: 'America/Chicago', slotMinutes: 15 },
    teacher: { id: 'T007', name: 'Mr. Torres', roomName: 'Room A107', breakUntil: null, lateUntil: null },
    called: null, conference: null, line: [], proposal: null, seenCount: finished.length, finished, announcements: [],
  };
}
const entry = (over: Partial<TeacherFinishedEntry>): TeacherFinishedEntry => ({
  visitId: 'F1:T007', ticket: 'W-1', guardianName: 'Hamza White', children: ['Ava'], language: 'vi',
  startedAt: at('17:30'), endedAt: at('17:44'), commitments: [], note: '', ...over,
});

describe('the teacher\'s export', () => {
  it('has one row per conference, oldest first, with commitments and the teacher\'s note', () => {
    // Given two finished conferences (the view lists the newest first)
    const view = viewWith([
      entry({ visitId: 'F2:T007', ticket: 'D-2', guardianName: 'Hana Diaz', children: ['Mia', 'Leo'], language: 'en', startedAt: at('17:45'), endedAt: at('18:01') }),
      entry({
        commitments: [
          { who: 'teacher', text: 'send the fractions games, every Friday' },
          { who: 'family', text: 'play one game each weekend' },
          { who: 'teacher', text: 'call in December' },
        ],
        note: 'Ava said "I hate maths"',
      }),
    ]);

    // When exported
    const csv = teacherExportCsv(view, t);

    // Then it is UTF-8 with a BOM, CRLF lines, RFC 4180 quoting, oldest conference first
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.slice(1).split('\r\n')).toEqual([
      'Ticket,Family,Children,Language,Started,Ended,Minutes,I will,The family will,Private note',
      'W-1,Hamza White,Ava,vi,17:30,17:44,14,"send the fractions games, every Friday\ncall in December",play one game each weekend,"Ava said ""I hate maths"""',
      'D-2,Hana Diaz,"Mia, Leo",en,17:45,18:01,16,,,',
      '',
    ]);
  });

  it('never lets a spreadsheet run a cell as a formula', () => {
    const csv = teacherExportCsv(viewWith([entry({ commitments: [{ who: 'family', text: '=HYPERLINK("http://x")' }], note: '+1 call' })]), t);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain(`'+1 call`);
  });

  it('is named after the teacher and the night\'s date', () => {
    expect(teacherExportFileName(viewWith([]), at('19:00'))).toBe('conferences-mr-torres-2026-11-19.csv');
  });
});
