// npm run bench:engine — how fast the routing engine is. Prints figures; it is not a test.
//   (a) The Roosevelt High night (≈430 families, 70 teachers): the time of each teacher call through
//       decide (which runs the engine), and of dispatch() and forecast() on states seen during the night.
//   (b) A 2,000-family night on a synthetic bundle: the wall time of the whole simulated night.
// Targets: p99 < 5 ms per decision, < 10 s per 2,000-family night.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBundle, type Bundle } from '../../shared/bundle';
import { dispatch, forecast } from '../../shared/domain/routing';
import type { NightState } from '../../shared/domain/state';
import { readBundleDir } from '../bundle-files';
import { nightInputs } from './inputs';
import { mulberry32 } from '../../shared/random';
import { simulateNight } from './simulate';
import { summarise } from './summary';

const here = path.dirname(fileURLToPath(import.meta.url));
const rooseveltDir = path.resolve(here, '../../../shared/fixtures/roosevelt-high');
const targets = { decisionP99Ms: 5, nightMs: 10_000 };

function quantile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
const median = (xs: number[]) => quantile(xs, 0.5);
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 3 : 1) : '—');
const log = (text: string) => process.stderr.write(`${text}\n`);

function parsed(files: Record<string, string>, what: string): Bundle {
  const r = parseBundle(files);
  if (!r.ok) throw new Error(`${what} is not a valid bundle:\n${r.errors.join('\n')}`);
  return r.bundle;
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

// ---------- synthetic bundles ----------

interface SyntheticSpec { teachers: number; families: number; zones: number; maxChildren: number; seed: number; closesAt: string }

/**
 * A school as CSV files: teachers in rooms across zones plus the lobby, families of 1 to maxChildren
 * children each with their own teacher, a few languages with interpreters, some booked slots.
 * No arrivals.csv or durations.csv: nightInputs samples them.
 */
function syntheticBundle(spec: SyntheticSpec): Record<string, string> {
  const random = mulberry32(spec.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const languages = [['en', 0.8], ['es', 0.12], ['vi', 0.05], ['ar', 0.03]] as const;
  const language = () => {
    let x = random();
    for (const [code, share] of languages) if ((x -= share) < 0) return code;
    return 'en';
  };
  const names = ['Garcia', 'Nguyen', 'Smith', 'Haddad', 'Johnson', 'Lopez', 'Tran', 'Brown', 'Khan', 'Miller'];
  const firsts = ['Ana', 'Ben', 'Chi', 'Dee', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun'];

  const rooms = ['room_id,name,zone', 'LOBBY,Front desk,lobby'];
  const teachers = ['teacher_id,name,room_id,languages'];
  for (let t = 1; t <= spec.teachers; t++) {
    const zone = `Z${((t - 1) % spec.zones) + 1}`;
    const room = `R${pad(t, 3)}`;
    rooms.push(`${room},Room ${t},${zone}`);
    teachers.push(`T${pad(t, 3)},Teacher ${t},${room},${random() < 0.15 ? 'en;es' : 'en'}`);
  }
  const staff = ['staff_id,name,role,languages'];
  const interpreters: [string, number][] = [['es', 8], ['vi', 3], ['ar', 2]];
  let x = 0;
  for (const [code, n] of interpreters) for (let i = 0; i < n; i++) staff.push(`X${pad(++x, 2)},Interpreter ${x},translator,en;${code}`);
  for (let i = 1; i <= 6; i++) staff.push(`A${pad(i, 2)},Ambassador ${i},ambassador,en`);

  const students = ['student_id,first_name,last_name,grade,teacher_ids'];
  const families = ['family_id,guardian_name,phone_last4,language,student_ids,needs_escort'];
  const appointments = ['family_id,teacher_id,starts_at'];
  const slotsTaken = new Map<string, number>(); // teacherId → booked slots so far
  const [closeH, closeM] = spec.closesAt.split(':').map(Number);
  const slotCount = ((closeH - 17) * 60 + closeM) / 10;
  let s = 0;
  for (let f = 1; f <= spec.families; f++) {
    const r = random();
    const children = Math.min(spec.maxChildren, r < 0.4 ? 1 : r < 0.7 ? 2 : r < 0.9 ? 3 : 4);
    const last = pick(names);
    const ids: string[] = [];
    const seen = new Set<string>();
    for (let c = 0; c < children; c++) {
      let teacher = `T${pad(1 + Math.floor(random() * spec.teachers), 3)}`;
      while (seen.has(teacher)) teacher = `T${pad(1 + Math.floor(random() * spec.teachers), 3)}`;
      seen.add(teacher);
      const id = `S${pad(++s, 5)}`;
      students.push(`${id},${pick(firsts)},${last},${1 + Math.floor(random() * 8)},${teacher}`);
      ids.push(id);
    }
    const familyId = `F${pad(f, 5)}`;
    families.push(`${familyId},${pick(firsts)} ${last},${pad(Math.floor(random() * 10_000), 4)},${language()},${ids.join(';')},${random() < 0.03 ? 'y' : 'n'}`);
    // About one family in ten books a slot with their first teacher, spread through the evening.
    if (random() < 0.1) {
      const teacher = [...seen][0];
      const n = slotsTaken.get(teacher) ?? 0;
      const slot = Math.floor(((n * 5 + 2) % slotCount));
      if (n < slotCount / 5) {
        slotsTaken.set(teacher, n + 1);
        const minutes = 17 * 60 + slot * 10;
        appointments.push(`${familyId},${teacher},${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`);
      }
    }
  }
  const event = {
    id: 'synthetic-night', name: `Synthetic ${spec.families}-family night`, date: '2026-11-19', timezone: 'America/Chicago',
    opensAt: '17:00', closesAt: spec.closesAt, slotMinutes: 10, defaultLanguage: 'en', walkMinutes: { sameZone: 1, otherZone: 3 },
  };
  const csv = (rows: string[]) => rows.join('\n') + '\n';
  return {
    'event.json': JSON.stringify(event), 'rooms.csv': csv(rooms), 'teachers.csv': csv(teachers), 'students.csv': csv(students),
    'families.csv': csv(families), 'staff.csv': csv(staff), 'appointments.csv': csv(appointments),
  };
}

// ---------- (a) one engine decision on the Roosevelt night ----------

async function rooseveltBench() {
  let files: Record<string, string>;
  let source: string;
  if (existsSync(rooseveltDir)) {
    files = await readBundleDir(rooseveltDir);
    source = 'shared/fixtures/roosevelt-high';
  } else {
    files = syntheticBundle({ teachers: 70, families: 540, zones: 4, maxChildren: 4, seed: 7, closesAt: '20:00' });
    source = 'synthetic stand-in (70 teachers, ~430 families come)';
  }
  const setup = parsed(files, source);
  const inputs = nightInputs(setup, files, 1);
  log(`(a) Roosevelt night from ${source}: ${inputs.visits.size} families, ${[...inputs.visits.values()].reduce((a, l) => a + l.length, 0)} conferences…`);

  // Warm the JIT on one night, then measure a second, like a server that has been up for a while.
  simulateNight(setup, inputs, { policy: 'smart' });
  const captured: { state: NightState; now: number }[] = [];
  let instant = 0;
  const t0 = performance.now();
  const result = simulateNight(setup, inputs, {
    policy: 'smart',
    observe: (state, now) => { if (instant++ % 10 === 0) captured.push({ state, now }); },
  });
  const nightMs = performance.now() - t0;

  // dispatch and forecast cache their answer per state object; a shallow copy is a fresh state, as
  // the server has after every event, so each call below does the whole work.
  const dispatchMs: number[] = [];
  const forecastMs: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const { state, now } of captured) {
      const a = { ...state };
      let t = performance.now();
      dispatch(a, now);
      dispatchMs.push(performance.now() - t);
      const b = { ...state };
      t = performance.now();
      forecast(b, now);
      forecastMs.push(performance.now() - t);
    }
  }
  const d = result.stats.decisionMs;
  const c = result.stats.checkInMs;
  const p = result.stats.promiseMs;
  const summary = summarise(setup, inputs, result);
  return {
    source, nightMs, instants: instant, sampled: captured.length, decisions: d.length,
    rows: [
      ['decide(callFamily) per teacher call', d.length, ms(quantile(d, 0.5)), ms(quantile(d, 0.9)), ms(quantile(d, 0.99)), ms(Math.max(...d))],
      ['decide(checkIn) per check-in', c.length, ms(quantile(c, 0.5)), ms(quantile(c, 0.9)), ms(quantile(c, 0.99)), ms(Math.max(...c))],
      ['decide(promiseEstimates), after it', p.length, ms(quantile(p, 0.5)), ms(quantile(p, 0.9)), ms(quantile(p, 0.99)), ms(Math.max(...p))],
      ['dispatch(state, now)', dispatchMs.length, ms(quantile(dispatchMs, 0.5)), ms(quantile(dispatchMs, 0.9)), ms(quantile(dispatchMs, 0.99)), ms(Math.max(...dispatchMs))],
      ['forecast(state, now)', forecastMs.length, ms(quantile(forecastMs, 0.5)), ms(quantile(forecastMs, 0.9)), ms(quantile(forecastMs, 0.99)), ms(Math.max(...forecastMs))],
    ],
    decisionP99: quantile(d, 0.99),
    summary,
  };
}

// ---------- (b) a 2,000-family night ----------

function bigNightBench(runs = 3) {
  const files = syntheticBundle({ teachers: 150, families: 2000, zones: 5, maxChildren: 4, seed: 2026, closesAt: '21:00' });
  const setup = parsed(files, 'the synthetic 2,000-family bundle');
  const inputs = nightInputs(setup, files, 1);
  const families = Object.keys(setup.families).length;
  const conferences = [...inputs.visits.values()].reduce((a, l) => a + l.length, 0);
  log(`(b) synthetic night: ${families} families in the bundle, ${inputs.visits.size} come, ${conferences} conferences, ${setup.appointments.length} booked; ${runs} runs…`);
  const times: number[] = [];
  const decisions: number[] = [];
  let last: ReturnType<typeof simulateNight> | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = simulateNight(setup, inputs, { policy: 'smart', seed: 1 });
    times.push(performance.now() - t0);
    decisions.push(...last.stats.decisionMs);
    log(`    run ${i + 1}: ${(times[i] / 1000).toFixed(2)} s`);
  }
  return { families, come: inputs.visits.size, conferences, times, decisions, summary: summarise(setup, inputs, last!) };
}

// ---------- output ----------

// BENCH_ONLY=big skips (a), for profiling the big night alone.
if (process.env.BENCH_ONLY === 'big') {
  const only = bigNightBench(Number(process.env.BENCH_RUNS ?? 1));
  console.log(`2,000-family night: ${(median(only.times) / 1000).toFixed(2)} s`);
  process.exit(0);
}
const a = await rooseveltBench();
const b = bigNightBench(3);
const bMedian = median(b.times);
const pass = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

console.log(`\nEngine benchmark (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`);
console.log(`(a) Roosevelt High night — ${a.source}`);
console.log(`    ${a.summary.families} families, ${a.summary.servedVisits} conferences held, ${a.decisions} teacher calls, night simulated in ${(a.nightMs / 1000).toFixed(2)} s;`);
console.log(`    dispatch/forecast timed on every 10th instant (${a.sampled} of ${a.instants} states) × 3, each on a fresh state (no cache)\n`);
console.log(table(['ms', 'n', 'p50', 'p90', 'p99', 'max'], a.rows).replace(/^/gm, '    '));
console.log(`\n    target: p99 < ${targets.decisionP99Ms} ms per decision → p99 ${ms(a.decisionP99)} ms: ${pass(a.decisionP99 < targets.decisionP99Ms)}\n`);
console.log(`(b) 2,000-family night — synthetic: 150 teachers in 5 zones + lobby, ${b.come} of ${b.families} families come, ${b.conferences} conferences, 17:00–21:00, 10-min slots`);
console.log(`    ${b.summary.servedVisits}/${b.summary.visits} conferences held, ${b.summary.unservedFamilies} families not fully served, minutes in building mean ${b.summary.minutesInBuilding.mean.toFixed(1)}\n`);
console.log(table(['', 'median', 'runs'], [
  ['simulateNight wall time (s)', (bMedian / 1000).toFixed(2), b.times.map((t) => (t / 1000).toFixed(2)).join(' / ')],
  ['decide(callFamily) p50 / p99 (ms)', `${ms(quantile(b.decisions, 0.5))} / ${ms(quantile(b.decisions, 0.99))}`, `${b.decisions.length} calls`],
]).replace(/^/gm, '    '));
console.log(`\n    target: < ${targets.nightMs / 1000} s per 2,000-family night → median ${(bMedian / 1000).toFixed(2)} s: ${pass(bMedian < targets.nightMs)}`);
