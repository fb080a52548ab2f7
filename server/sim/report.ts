// The simulator's report: one self-contained HTML page comparing the routing engine ("smart") with
// the paper-list night ("fifo") on the same arrivals and conference lengths. Pure: summaries and
// results in, an HTML string out. Charts are inline SVG drawn here; no scripts, fonts or links to
// anything outside the page, so it opens the same offline, attached to an e-mail or printed.
import type { Bundle } from '../../shared/bundle';
import { epochToLocal, minute } from '../../shared/clock';
import { walkMs } from '../../shared/domain/routing';
import { lobbyRoomId } from '../../shared/domain/state';
import type { NightInputs, Policy, SimResult } from './simulate';
import type { NightSummary } from './summary';

export interface PolicyRun {
  policy: Policy;
  summary: NightSummary;
  result: SimResult;
  /** Wall time of simulateNight, in milliseconds. */
  runMs: number;
}

export interface ReportInput {
  setup: Bundle;
  inputs: NightInputs;
  runs: PolicyRun[];
  seed: number;
  /** Where the bundle came from, shown in the header (a folder name). */
  source?: string;
}

const policyLabel: Record<Policy, string> = { smart: 'Smart routing', fifo: 'Paper lists (FIFO)' };
const policyColor: Record<Policy, string> = { smart: '#1f6fb4', fifo: '#e07b1a' };

// ---------- the human summary printed by the command line ----------

const f1 = (x: number) => x.toFixed(1);
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** A few lines of plain text: the figures of one policy's night. */
export function summaryText(policy: Policy, s: NightSummary, runMs: number): string {
  const late = s.appointmentLateMinutes;
  return [
    `${policyLabel[policy]}: ${s.families} families, ${s.servedVisits}/${s.visits} conferences held, ${s.unservedFamilies} families not fully served`,
    `  minutes in building  mean ${f1(s.minutesInBuilding.mean)}  p50 ${f1(s.minutesInBuilding.p50)}  p90 ${f1(s.minutesInBuilding.p90)}  max ${f1(s.minutesInBuilding.max)}`,
    `  minutes waiting      mean ${f1(s.waitMinutes.mean)}  p90 ${f1(s.waitMinutes.p90)}`,
    late.count
      ? `  appointments         p90 ${f1(late.p90)} min late, ${pct(late.within5)} within 5 min (${late.count} booked)`
      : `  appointments         none booked`,
    `  estimate at check-in mean abs. error ${f1(s.estimateErrorMinutes.meanAbsolute)} min (p90 ${f1(s.estimateErrorMinutes.p90)})`,
    `  utilisation          teachers ${pct(s.teacherUtilisation)}, interpreters ${pct(s.interpreterUtilisation)}`,
    `  run time             ${(runMs / 1000).toFixed(2)} s`,
  ].join('\n');
}

// ---------- per-family figures, measured as summarise() measures them ----------

/** Minutes in the building and minutes waiting for every family whose visits were all held. */
export function familyMinutes(setup: Bundle, inputs: NightInputs, result: SimResult): { inBuilding: number[]; waits: number[] } {
  const byFamily = new Map<string, SimResult['trace']>();
  for (const row of result.trace) {
    const list = byFamily.get(row.familyId);
    if (list) list.push(row);
    else byFamily.set(row.familyId, [row]);
  }
  const inBuilding: number[] = [];
  const waits: number[] = [];
  const room = (teacherId: string) => setup.teachers[teacherId].roomId;
  for (const [familyId, list] of inputs.visits) {
    const done = [...(byFamily.get(familyId) ?? [])].sort((a, b) => a.startsAt - b.startsAt);
    if (!done.length || done.length < list.length) continue;
    const total = done[done.length - 1].endsAt - inputs.arrivals.get(familyId)!;
    let walking = walkMs(setup, lobbyRoomId, room(done[0].teacherId));
    for (let i = 1; i < done.length; i++) walking += walkMs(setup, room(done[i - 1].teacherId), room(done[i].teacherId));
    const talking = done.reduce((a, r) => a + r.endsAt - r.startsAt, 0);
    inBuilding.push(total / minute);
    waits.push((total - walking - talking) / minute);
  }
  return { inBuilding, waits };
}

// ---------- the page ----------

export function renderReport(input: ReportInput): string {
  const { setup, inputs, runs } = input;
  const tz = setup.event.timezone;
  const perFamily = runs.map((r) => familyMinutes(setup, inputs, r.result));
  const series = <T>(pick: (run: PolicyRun, i: number) => T) => runs.map((r, i) => ({ policy: r.policy, values: pick(r, i) }));

  const inBuildingChart = histogram('Minutes in the building, per family', series((_, i) => perFamily[i].inBuilding), 'minutes from arrival to the end of the last conference');
  const waitChart = histogram('Minutes waiting, per family', series((_, i) => perFamily[i].waits), 'minutes in the building not spent walking or in a conference');
  const waitingChart = lineChart('Families waiting', series((r) => r.result.timeline.map((p) => ({ at: p.at, y: p.waitingFamilies }))), tz, 'families with at least one conference still to come');
  const longestChart = lineChart('Longest line', series((r) => r.result.timeline.map((p) => ({ at: p.at, y: maxOf(Object.values(p.lines)) }))), tz, 'families waiting for the busiest teacher');

  const totalVisits = runs[0]?.summary.visits ?? 0;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(setup.event.name)}: simulated night</title>
<style>${css}</style>
</head>
<body>
<header>
  <h1>${esc(setup.event.name)}</h1>
  <p class="sub">Simulated night, ${esc(setup.event.date)}, ${esc(setup.event.opensAt)}–${esc(setup.event.closesAt)} (${esc(tz)}).
  ${inputs.visits.size} families, ${totalVisits} conferences, ${Object.keys(setup.teachers).length} teachers, ${Object.values(setup.staff).filter((s) => s.role === 'translator').length} interpreters.
  Same arrivals and conference lengths for every policy (seed ${input.seed}${input.source ? `, bundle ${esc(input.source)}` : ''}).</p>
  <p class="legend">${runs.map((r) => `<span><i style="background:${policyColor[r.policy]}"></i>${esc(policyLabel[r.policy])}</span>`).join('')}</p>
</header>
<main>
<section>
  <h2>Figures</h2>
  ${figuresTable(runs)}
</section>
<section class="charts">
  <figure>${inBuildingChart}</figure>
  <figure>${waitChart}</figure>
  <figure>${waitingChart}</figure>
  <figure>${longestChart}</figure>
</section>
</main>
<footer>Families not fully served are left out of the per-family figures. Lines are sampled every five minutes of the night.</footer>
</body>
</html>
`;
}

function figuresTable(runs: PolicyRun[]): string {
  type Row = { label: string; value: (s: NightSummary, r: PolicyRun) => number | null; fmt: (x: number) => string; lowerIsBetter?: boolean };
  const minutes = (x: number) => `${f1(x)} min`;
  const rows: Row[] = [
    { label: 'Minutes in the building, mean', value: (s) => s.minutesInBuilding.mean, fmt: minutes, lowerIsBetter: true },
    { label: 'Minutes in the building, median', value: (s) => s.minutesInBuilding.p50, fmt: minutes, lowerIsBetter: true },
    { label: 'Minutes in the building, p90', value: (s) => s.minutesInBuilding.p90, fmt: minutes, lowerIsBetter: true },
    { label: 'Minutes in the building, longest', value: (s) => s.minutesInBuilding.max, fmt: minutes, lowerIsBetter: true },
    { label: 'Minutes waiting, mean', value: (s) => s.waitMinutes.mean, fmt: minutes, lowerIsBetter: true },
    { label: 'Minutes waiting, p90', value: (s) => s.waitMinutes.p90, fmt: minutes, lowerIsBetter: true },
    { label: 'Appointment lateness, p90', value: (s) => (s.appointmentLateMinutes.count ? s.appointmentLateMinutes.p90 : null), fmt: minutes, lowerIsBetter: true },
    { label: 'Appointments within 5 min', value: (s) => (s.appointmentLateMinutes.count ? s.appointmentLateMinutes.within5 : null), fmt: pct, lowerIsBetter: false },
    { label: 'Estimate error at check-in, mean', value: (s) => (s.estimateErrorMinutes.count ? s.estimateErrorMinutes.meanAbsolute : null), fmt: minutes, lowerIsBetter: true },
    { label: 'Teacher utilisation', value: (s) => s.teacherUtilisation, fmt: pct },
    { label: 'Interpreter utilisation', value: (s) => s.interpreterUtilisation, fmt: pct },
    { label: 'Conferences held', value: (s) => s.servedVisits, fmt: (x) => String(x), lowerIsBetter: false },
    { label: 'Families not fully served', value: (s) => s.unservedFamilies, fmt: (x) => String(x), lowerIsBetter: true },
    { label: 'Simulation run time', value: (_, r) => r.runMs / 1000, fmt: (x) => `${x.toFixed(2)} s` },
  ];
  const head = `<tr><th></th>${runs.map((r) => `<th style="color:${policyColor[r.policy]}">${esc(policyLabel[r.policy])}</th>`).join('')}</tr>`;
  const body = rows.map((row) => {
    const values = runs.map((r) => row.value(r.summary, r));
    const present = values.filter((v): v is number => v !== null);
    const best = row.lowerIsBetter === undefined || present.length < 2 || present.every((v) => v === present[0])
      ? null : row.lowerIsBetter ? Math.min(...present) : Math.max(...present);
    const cells = values.map((v) => v === null ? '<td class="na">—</td>' : `<td${v === best ? ' class="best"' : ''}>${esc(row.fmt(v))}</td>`);
    return `<tr><th scope="row">${esc(row.label)}</th>${cells.join('')}</tr>`;
  });
  return `<table>${head}${body.join('')}</table>`;
}

// ---------- charts ----------

const W = 560, H = 300;
const M = { top: 40, right: 16, bottom: 52, left: 52 };
const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;

interface Series<T> { policy: Policy; values: T }

/** Grouped bars: for each bin, one bar per policy, as a share of that policy's families. */
function histogram(title: string, series: Series<number[]>[], caption: string): string {
  const all = series.flatMap((s) => s.values);
  const hi = Math.max(1, maxOf(all));
  const binWidth = Math.max(1, niceStep(hi / 20));
  const bins = Math.max(1, Math.ceil((hi + 1e-9) / binWidth));
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) c[Math.min(bins - 1, Math.max(0, Math.floor(v / binWidth)))]++;
    return c.map((n) => (s.values.length ? n / s.values.length : 0));
  });
  const axis = niceAxis(Math.max(0.01, ...counts.flat()), false);
  const yMax = axis.max;
  const groupW = plotW / bins;
  const barW = Math.max(1, (groupW * 0.84) / Math.max(1, series.length));
  const y = (v: number) => M.top + plotH - (v / yMax) * plotH;
  const bars: string[] = [];
  counts.forEach((c, si) => c.forEach((share, b) => {
    if (!share) return;
    const x = M.left + b * groupW + groupW * 0.08 + si * barW;
    bars.push(`<rect x="${r1(x)}" y="${r1(y(share))}" width="${r1(barW)}" height="${r1(M.top + plotH - y(share))}" fill="${policyColor[series[si].policy]}"><title>${esc(policyLabel[series[si].policy])}: ${pct(share)} of families, ${b * binWidth}–${(b + 1) * binWidth} min</title></rect>`);
  }));
  const yTicks = axis.ticks.map((t) => yGrid(y(t), `${+(t * 100).toFixed(1)}%`));
  const labelEvery = Math.ceil(bins / 8);
  const xTicks: string[] = [];
  for (let b = 0; b <= bins; b += labelEvery) {
    const x = M.left + b * groupW;
    xTicks.push(`<line x1="${r1(x)}" x2="${r1(x)}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}" class="axis"/><text x="${r1(x)}" y="${M.top + plotH + 16}" text-anchor="middle">${b * binWidth}</text>`);
  }
  const means = series.map((s) => {
    if (!s.values.length) return '';
    const m = s.values.reduce((a, b) => a + b, 0) / s.values.length;
    const x = M.left + (m / (bins * binWidth)) * plotW;
    return `<line x1="${r1(x)}" x2="${r1(x)}" y1="${M.top}" y2="${M.top + plotH}" stroke="${policyColor[s.policy]}" stroke-width="1.5" stroke-dasharray="4 3"><title>${esc(policyLabel[s.policy])} mean ${f1(m)} min</title></line>`;
  });
  return svg(title, [
    ...yTicks, ...bars, ...means, ...xTicks,
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" class="axis"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle" class="axis-label">minutes (dashed: mean)</text>`,
    `<text x="14" y="${M.top + plotH / 2}" text-anchor="middle" class="axis-label" transform="rotate(-90 14 ${M.top + plotH / 2})">share of families</text>`,
  ], caption);
}

/** One line per policy over the evening's clock. */
function lineChart(title: string, series: Series<{ at: number; y: number }[]>[], tz: string, caption: string): string {
  const points = series.flatMap((s) => s.values);
  if (!points.length) return svg(title, [], caption);
  const t0 = Math.min(...points.map((p) => p.at));
  const t1 = Math.max(t0 + minute, ...points.map((p) => p.at));
  const axis = niceAxis(Math.max(1, ...points.map((p) => p.y)), true);
  const yMax = axis.max;
  const x = (t: number) => M.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v: number) => M.top + plotH - (v / yMax) * plotH;
  const yTicks = axis.ticks.map((t) => yGrid(y(t), String(t)));
  const hour = 60 * minute;
  const step = (t1 - t0) / hour > 6 ? 2 * hour : (t1 - t0) / hour > 2 ? hour : 30 * minute;
  const xTicks: string[] = [];
  // Ticks on the local clock's round hours / half hours (time zones are whole or half hours off UTC
  // in practice; a quarter-hour zone just gets ticks a quarter past).
  for (let t = Math.ceil(t0 / (30 * minute)) * 30 * minute; t <= t1; t += 30 * minute) {
    const local = epochToLocal(t, tz);
    const mm = Number(local.slice(3, 5));
    const hh = Number(local.slice(0, 2));
    if (step >= hour && mm !== 0) continue;
    if (step === 2 * hour && hh % 2) continue;
    xTicks.push(`<line x1="${r1(x(t))}" x2="${r1(x(t))}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}" class="axis"/><text x="${r1(x(t))}" y="${M.top + plotH + 16}" text-anchor="middle">${local}</text>`);
  }
  const lines = series.map((s) => {
    const d = s.values.map((p, i) => `${i ? 'L' : 'M'}${r1(x(p.at))} ${r1(y(p.y))}`).join('');
    const peak = s.values.reduce((m, p) => (p.y > m.y ? p : m), s.values[0] ?? { at: t0, y: 0 });
    return `<path d="${d}" fill="none" stroke="${policyColor[s.policy]}" stroke-width="2.2" stroke-linejoin="round"/>`
      + (s.values.length ? `<circle cx="${r1(x(peak.at))}" cy="${r1(y(peak.y))}" r="3.5" fill="${policyColor[s.policy]}"><title>${esc(policyLabel[s.policy])} peak ${peak.y} at ${epochToLocal(peak.at, tz)}</title></circle>` : '');
  });
  return svg(title, [
    ...yTicks, ...lines, ...xTicks,
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" class="axis"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle" class="axis-label">time of evening (dot: peak)</text>`,
    `<text x="14" y="${M.top + plotH / 2}" text-anchor="middle" class="axis-label" transform="rotate(-90 14 ${M.top + plotH / 2})">families</text>`,
  ], caption);
}

function svg(title: string, body: string[], caption: string): string {
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`
    + `<text x="${M.left}" y="22" class="title">${esc(title)}</text>${body.join('')}</svg>`
    + `<figcaption>${esc(caption)}</figcaption>`;
}

function yGrid(yPos: number, label: string): string {
  return `<line x1="${M.left}" x2="${M.left + plotW}" y1="${r1(yPos)}" y2="${r1(yPos)}" class="gridline"/>`
    + `<text x="${M.left - 6}" y="${r1(yPos + 4)}" text-anchor="end">${esc(label)}</text>`;
}

/** 1, 2, 2.5 or 5 times a power of ten, at least x. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 2.5, 5]) if (m * p >= x - 1e-12) return m * p;
  return 10 * p;
}
/** A y axis from 0 that holds x, in about five round steps (whole steps when integral). */
function niceAxis(x: number, integral: boolean): { max: number; ticks: number[] } {
  let step = niceStep(x / 5);
  if (integral) step = Math.max(1, Math.round(step));
  const n = Math.max(1, Math.ceil(x / step - 1e-9));
  return { max: n * step, ticks: Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1e6) / 1e6) };
}
const maxOf = (xs: number[]) => xs.reduce((m, v) => (v > m ? v : m), 0);
const r1 = (x: number) => Math.round(x * 10) / 10;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const css = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232b; margin: 0 auto; max-width: 1180px; padding: 24px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 24px 0 8px; }
.sub { color: #4a5561; margin: 0 0 8px; }
.legend span { display: inline-flex; align-items: center; margin-right: 20px; font-weight: 600; }
.legend i { display: inline-block; width: 14px; height: 14px; border-radius: 3px; margin-right: 6px; }
table { border-collapse: collapse; min-width: 560px; }
th, td { padding: 5px 14px; border-bottom: 1px solid #e3e7ec; text-align: right; font-variant-numeric: tabular-nums; }
th[scope=row] { text-align: left; font-weight: 500; }
td.best { font-weight: 700; background: #eef6ee; }
td.na { color: #9aa4ae; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(500px, 1fr)); gap: 16px 28px; margin-top: 16px; }
figure { margin: 0; }
figcaption { color: #4a5561; font-size: 13px; margin: -4px 0 0 ${M.left}px; }
svg { width: 100%; height: auto; font-size: 12px; fill: #38424d; }
svg .title { font-size: 15px; font-weight: 600; fill: #1d232b; }
svg .axis { stroke: #8a949e; stroke-width: 1; }
svg .gridline { stroke: #e6e9ed; stroke-width: 1; }
svg .axis-label { fill: #5b6570; font-size: 12px; }
footer { color: #6b7580; font-size: 13px; margin-top: 24px; }
`;
