// npm run simulate -- --bundle DIR [--policy smart|fifo] [--out trace.csv] [--report report.html] [--seed N] [--json]
//
// Plays a whole conference night of a bundle through the engine and prints its figures. --out writes
// the trace CSV the independent judge reads; --report writes an HTML page comparing both policies on
// the same arrivals and conference lengths; --json puts the summary on stdout (the text goes to stderr).
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseBundle } from '../../shared/bundle';
import { readBundleDir } from '../bundle-files';
import { nightInputs } from './inputs';
import { renderReport, summaryText, type PolicyRun } from './report';
import { simulateNight, traceCsv, type NightInputs, type Policy } from './simulate';
import { summarise } from './summary';
import { rehearse } from './live';
import { demoBundleDir } from '../demo';
import type { Bundle } from '../../shared/bundle';

const usage = `Usage: npm run simulate -- --bundle DIR [--policy smart|fifo] [--out trace.csv] [--report report.html] [--seed N] [--json]
       npm run simulate -- --live --url http://localhost:3000 [--speed 30] [--token SECRET] [--bundle DIR] [--families N]

  --bundle DIR     the event bundle folder (event.json, rooms.csv, …; arrivals.csv and durations.csv
                   are used when present, otherwise arrivals and conference lengths are sampled)
  --policy P       smart (the routing engine, default) or fifo (paper lists: each line in order)
  --out FILE       write the trace CSV (family_id,teacher_id,translator_id,starts_at,ends_at)
  --report FILE    write a self-contained HTML report comparing smart and fifo on the same night
  --seed N         seed for sampled inputs and the simulated people (default 1)
  --json           print the summary as JSON on stdout (the text summary goes to stderr)
  --live           rehearse the night against a running server through real Socket.IO clients
                   (kiosk, teachers, ambassadors, family pages); --bundle defaults to the demo night
  --url URL        the running server (with --live)
  --speed N        virtual minutes per real minute (with --live, default 30)
  --token SECRET   the coordinator's sign-in secret, the end of the coordinator link
                   (with --live; or set CONFERENCE_NIGHT_TOKEN)
  --families N     only the first N families to arrive (with --live)
  --help           show this help`;

const policies: readonly Policy[] = ['smart', 'fifo'];

function fail(message: string, code = 2): never {
  process.stderr.write(`error: ${message}\n`);
  if (code === 2) process.stderr.write(`\n${usage}\n`);
  process.exit(code);
}

// npm runs scripts from the package folder; paths on the command line are the caller's.
const callerDir = process.env.INIT_CWD ?? process.cwd();
const resolvePath = (p: string) => path.resolve(callerDir, p);

function readArgs() {
  try {
    return parseArgs({
      options: {
        bundle: { type: 'string' },
        policy: { type: 'string', default: 'smart' },
        out: { type: 'string' },
        report: { type: 'string' },
        seed: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        live: { type: 'boolean', default: false },
        url: { type: 'string' },
        speed: { type: 'string', default: '30' },
        token: { type: 'string' },
        families: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (e) {
    return fail((e as Error).message);
  }
}

/** A hand-drawn progress bar on stderr, only on a terminal and only once a run takes a moment. */
function progressBar(label: string) {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let shown = false;
  let last = -1;
  return {
    update(fraction: number) {
      if (!tty || performance.now() - started < 300) return;
      const width = 30;
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const percent = Math.floor(fraction * 100);
      if (percent === last) return;
      last = percent;
      shown = true;
      process.stderr.write(`\r${label.padEnd(6)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
    },
  };
}

function run(setup: Bundle, inputs: NightInputs, policy: Policy, seed: number): PolicyRun {
  const bar = progressBar(policy);
  const t0 = performance.now();
  const result = simulateNight(setup, inputs, { policy, seed, onProgress: (f) => bar.update(f) });
  const runMs = performance.now() - t0;
  bar.done();
  return { policy, result, runMs, summary: summarise(setup, inputs, result) };
}

async function main() {
  const args = readArgs();
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (args.live) return live(args);
  if (!args.bundle) fail('--bundle DIR is required.');
  const policy = args.policy as Policy;
  if (!policies.includes(policy)) fail(`--policy must be smart or fifo, not "${args.policy}".`);
  if (!/^\d{1,9}$/.test(args.seed!)) fail(`--seed must be a whole number, not "${args.seed}".`);
  const seed = Number(args.seed);

  const bundleDir = resolvePath(args.bundle);
  const info = await stat(bundleDir).catch(() => null);
  if (!info) fail(`--bundle: no such folder ${bundleDir}`);
  if (!info.isDirectory()) fail(`--bundle: ${bundleDir} is not a folder.`);
  let files: Record<string, string>;
  try {
    files = await readBundleDir(bundleDir);
  } catch (e) {
    fail(`--bundle: cannot read ${bundleDir}: ${(e as Error).message}`);
  }
  const parsed = parseBundle(files);
  if (!parsed.ok) {
    process.stderr.write(`The bundle in ${bundleDir} is not valid:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    process.exit(2);
  }
  const setup = parsed.bundle;
  let inputs: NightInputs;
  try {
    inputs = nightInputs(setup, files, seed);
  } catch (e) {
    process.stderr.write(`The bundle in ${bundleDir} is not valid:\n  - ${(e as Error).message}\n`);
    process.exit(2);
  }

  const say = (text: string) => (args.json ? process.stderr : process.stdout).write(`${text}\n`);
  const source = path.basename(bundleDir);
  const sampled = [!files['arrivals.csv'] && 'arrivals', !files['durations.csv'] && 'conference lengths'].filter(Boolean);
  say(`${setup.event.name} (${source}), seed ${seed}${sampled.length ? `; sampled ${sampled.join(' and ')}` : ''}`);

  const chosen = run(setup, inputs, policy, seed);
  say(summaryText(policy, chosen.summary, chosen.runMs));

  const write = async (file: string, text: string, what: string) => {
    const target = resolvePath(file);
    try {
      await writeFile(target, text);
    } catch (e) {
      fail(`cannot write the ${what} to ${target}: ${(e as Error).message}`, 1);
    }
    say(`Wrote the ${what} to ${target}`);
  };
  if (args.out) await write(args.out, traceCsv(setup, chosen.result.trace), 'trace');
  if (args.report) {
    const other = run(setup, inputs, policy === 'smart' ? 'fifo' : 'smart', seed);
    const runs = [chosen, other].sort((a, b) => policies.indexOf(a.policy) - policies.indexOf(b.policy));
    await write(args.report, renderReport({ setup, inputs, runs, seed, source }), `report (${runs.map((r) => r.policy).join(' vs ')})`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify({ bundle: bundleDir, policy, seed, runMs: Math.round(chosen.runMs), ...chosen.summary }, null, 2)}\n`);
}

async function live(args: ReturnType<typeof readArgs>) {
  if (!args.url || !/^https?:\/\/[^\s]+$/.test(args.url)) fail('--live needs --url http://host:port of a running server.');
  const token = args.token ?? process.env.CONFERENCE_NIGHT_TOKEN;
  if (!token) fail('--live needs the coordinator sign-in secret: --token SECRET (the end of the coordinator link printed by npm start).');
  const speed = Number(args.speed);
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000) fail(`--speed must be a positive number, not "${args.speed}".`);
  const bundleDir = args.bundle ? resolvePath(args.bundle) : demoBundleDir;
  const files = await readBundleDir(bundleDir).catch((e: Error) => fail(`--bundle: cannot read ${bundleDir}: ${e.message}`));
  const parsed = parseBundle(files);
  if (!parsed.ok) fail(`The bundle in ${bundleDir} is not valid:\n${parsed.errors.join('\n')}`);
  const inputs = nightInputs(parsed.bundle, files, Number(args.seed));
  if (args.families) {
    const n = Number(args.families);
    if (!Number.isInteger(n) || n < 1) fail(`--families must be a positive whole number, not "${args.families}".`);
    const keep = new Set([...inputs.arrivals].sort((a, b) => a[1] - b[1]).slice(0, n).map(([f]) => f));
    for (const f of [...inputs.visits.keys()]) if (!keep.has(f)) inputs.visits.delete(f);
  }
  process.stdout.write(`Rehearsing ${parsed.bundle.event.name}: ${inputs.visits.size} families at ${speed}× against ${args.url}\n`);
  const result = await rehearse({ url: args.url, coordinatorToken: token, setup: parsed.bundle, inputs, speed, log: (l) => process.stdout.write(`${l}\n`) });
  process.exit(result.complete ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
