// The independent judge (../shared/tools/conference-check.mjs) on the simulator's nights: the smart
// policy's trace must be feasible (nobody in two places at once, walks respected, interpreters
// present, exact durations) and serve every family. Quality (minutes in the building against the
// judge's baselines) is logged, not asserted: the routing rules are still being tuned.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNight } from '../helpers/night';
import { simulateNight, traceCsv, type NightInputs } from '../../server/sim/simulate';
import type { Bundle } from '../../shared/bundle';
import { bundleFiles, generateNight } from '../helpers/bundle-generator';
import { demoBundleDir, repoRoot } from '../helpers/server';

const sharedDir = path.resolve(repoRoot, '../shared');
const fixturesDir = path.join(sharedDir, 'fixtures');
const judge = path.resolve(repoRoot, '../shared/tools/conference-check.mjs');
const haveShared = existsSync(sharedDir) && existsSync(judge);
const fixtures = existsSync(fixturesDir)
  ? readdirSync(fixturesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  : [];

interface Measures {
  unservedFamilies: number;
  timeInBuildingMin: { mean: number; p90: number; max: number };
  appointmentLateMin: { p90: number };
}
interface Report {
  bundle: string; families: number; visits: number;
  lowerBound: { meanTimeInBuildingMin: number };
  fifo: Measures; shortestLine: Measures;
  trace: Measures & { feasible: boolean; errors: string[] };
  ratios: { vsLowerBound: number; vsFifo: number; vsShortestLine: number };
}

const tempDirs: string[] = [];
afterAll(async () => { await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }))); });

/** Simulates the night in `bundleDir` (smart policy), writes the trace and asks the judge about it. */
async function judgeNight(bundleDir: string, bundle: Bundle, inputs: NightInputs): Promise<{ status: number | null; report: Report | null; stderr: string }> {
  const result = simulateNight(bundle, inputs, { policy: 'smart', seed: 1 });
  const dir = await mkdtemp(path.join(tmpdir(), 'judge-trace-'));
  tempDirs.push(dir);
  const tracePath = path.join(dir, 'trace.csv');
  await writeFile(tracePath, traceCsv(bundle, result.trace));
  const run = spawnSync(process.execPath, [judge, bundleDir, tracePath, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let report: Report | null = null;
  try { report = JSON.parse(run.stdout) as Report; } catch { /* reported below */ }
  return { status: run.status, report, stderr: run.stderr };
}

function log(name: string, r: Report) {
  const m = (x: Measures) => x.timeInBuildingMin.mean.toFixed(1);
  console.log(
    `[judge] ${name}: ${r.families} families, ${r.visits} visits — mean minutes in building: ` +
    `trace ${m(r.trace)}, fifo ${m(r.fifo)}, shortest-line ${m(r.shortestLine)}, lower bound ${r.lowerBound.meanTimeInBuildingMin.toFixed(1)} ` +
    `(ratios vs fifo ${r.ratios.vsFifo.toFixed(3)}, vs shortest-line ${r.ratios.vsShortestLine.toFixed(3)}, vs bound ${r.ratios.vsLowerBound.toFixed(3)}; ` +
    `trace p90 ${r.trace.timeInBuildingMin.p90.toFixed(1)}, appointment-late p90 ${r.trace.appointmentLateMin.p90.toFixed(1)})`,
  );
}

function expectFeasible(outcome: Awaited<ReturnType<typeof judgeNight>>) {
  const { status, report, stderr } = outcome;
  expect(report, `the judge printed no JSON (exit ${status}): ${stderr}`).not.toBeNull();
  expect(report!.trace.errors, 'the judge found the trace infeasible').toEqual([]);
  expect(report!.trace.feasible).toBe(true);
  expect(status, stderr).toBe(0);
  expect(report!.trace.unservedFamilies, 'families left unserved').toBe(0);
}


const absent = haveShared ? '' : ` — skipped: ${sharedDir} is absent on this machine`;
if (!haveShared) {
  console.warn(`[judge] skipped: ${sharedDir} (shared fixtures and tools/conference-check.mjs) is not on this machine`);
}

describe.skipIf(!haveShared)(`the judge on the shared fixtures (smart policy)${absent}`, () => {
  it.skipIf(!fixtures.length)('there are fixtures to judge', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  it.each(fixtures)('%s: the trace is feasible and every family is served', async (name) => {
    const dir = path.join(fixturesDir, name);
    const { bundle, inputs } = await loadNight(dir);
    const outcome = await judgeNight(dir, bundle, inputs);
    if (outcome.report) log(name, outcome.report);
    expectFeasible(outcome);
  }, 60_000);
});

describe.skipIf(!haveShared)(`the judge on the app's own demo copy (server/demo)${absent}`, () => {
  it('lincoln-elementary (demo copy): the trace is feasible and every family is served', async () => {
    const { bundle, inputs } = await loadNight(demoBundleDir);
    const outcome = await judgeNight(demoBundleDir, bundle, inputs);
    if (outcome.report) log('server/demo/lincoln-elementary', outcome.report);
    expectFeasible(outcome);
  }, 60_000);
});

describe.skipIf(!haveShared)(`the judge on random generated nights (smart policy)${absent}`, () => {
  it.each([1, 2, 3, 4, 5])('seed %i: the trace is feasible and every family is served', async (seed) => {
    const { bundle, inputs } = generateNight(seed);
    const dir = await mkdtemp(path.join(tmpdir(), `judge-random-${seed}-`));
    tempDirs.push(dir);
    for (const [name, text] of Object.entries(bundleFiles(bundle, inputs))) await writeFile(path.join(dir, name), text);
    const outcome = await judgeNight(dir, bundle, inputs);
    if (outcome.report) log(`random seed ${seed}`, outcome.report);
    expectFeasible(outcome);
  }, 60_000);
});
