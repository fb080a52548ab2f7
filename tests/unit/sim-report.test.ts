// The simulator's HTML report: both policies' figures, inline SVG charts, nothing fetched from outside.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../shared/bundle';
import { loadNight } from '../helpers/night';
import { renderReport, summaryText, type PolicyRun } from '../../server/sim/report';
import { simulateNight, type NightInputs, type Policy } from '../../server/sim/simulate';
import { summarise } from '../../server/sim/summary';

const demoBundleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/demo/lincoln-elementary');

describe('simulation report', () => {
  let setup: Bundle;
  let inputs: NightInputs;
  let runs: PolicyRun[];

  beforeAll(async () => {
    ({ bundle: setup, inputs } = await loadNight(demoBundleDir));
    runs = (['smart', 'fifo'] as Policy[]).map((policy) => {
      const result = simulateNight(setup, inputs, { policy, seed: 1 });
      return { policy, result, summary: summarise(setup, inputs, result), runMs: 123 };
    });
  }, 60_000);

  it("shows both policies' figures side by side, with inline SVG charts", () => {
    const html = renderReport({ setup, inputs, runs, seed: 1, source: 'lincoln-elementary' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('Smart routing');
    expect(html).toContain('Paper lists (FIFO)');
    for (const { summary } of runs) {
      expect(html).toContain(`${summary.minutesInBuilding.mean.toFixed(1)} min`);
      expect(html).toContain(`${summary.minutesInBuilding.p90.toFixed(1)} min`);
      expect(html).toContain(`${summary.waitMinutes.mean.toFixed(1)} min`);
    }
    expect(html.match(/<svg[\s>]/g)?.length).toBeGreaterThanOrEqual(4);
    expect(html).toContain('Minutes in the building, per family');
    expect(html).toContain('Families waiting');
    expect(html).toContain('Longest line');
  });

  it('is self-contained: no http(s) references, no scripts, no external resources', () => {
    const html = renderReport({ setup, inputs, runs, seed: 1 });
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
  });

  it('escapes text from the bundle', () => {
    const named = { ...setup, event: { ...setup.event, name: 'Night <b>&</b> "day"' } };
    const html = renderReport({ setup: named, inputs, runs, seed: 1 });
    expect(html).toContain('Night &lt;b&gt;&amp;&lt;/b&gt; &quot;day&quot;');
    expect(html).not.toContain('<b>&</b>');
  });

  it('the text summary names the figures', () => {
    const text = summaryText('smart', runs[0].summary, 1500);
    expect(text).toContain('minutes in building');
    expect(text).toContain(`mean ${runs[0].summary.minutesInBuilding.mean.toFixed(1)}`);
    expect(text).toContain('1.50 s');
  });
});
