// Runs the real `server/main.ts` as a child process (what `npm start` runs after the build), reads its
// port and sign-in links from what it prints, and can kill it like a power cut.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './server';

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  /** Sign-in link label (e.g. "Kiosk K1", "Coordinator") → secret. */
  links: Map<string, string>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const startTimeoutMs = 20_000;

/**
 * Starts `node --import tsx server/main.ts` with PORT=0. Not `node_modules/.bin/tsx server/main.ts`:
 * the tsx CLI runs the program in a second, child node process, so a SIGKILL sent to the pid we
 * spawned would kill only the wrapper and leave the real server running (and writing) as an orphan.
 */
export function startServerProcess(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  // The crash tests send hundreds of commands at once from one kiosk: no per-connection flood limit.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: dataDir, RATE_LIMIT: 'off', ...extraEnv };
  delete env.PUBLIC_URL;
  if (!extraEnv.REDIS_URL) delete env.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`The server process ${why}.\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
    };
    const timer = setTimeout(() => fail(`did not print its sign-in links within ${startTimeoutMs} ms`), startTimeoutMs);
    // 'close' comes after the output has been read to the end, so the failure shows all of it.
    const onClose = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited before it was ready (code ${code}, signal ${signal})`);
    child.once('close', onClose);
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    let ready = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready) return;
      const parsed = parseBanner(out);
      if (!parsed) return;
      ready = true;
      clearTimeout(timer);
      child.off('close', onClose);
      resolve({ child, pid: child.pid!, ...parsed, stdout: () => out, stderr: () => err, exited });
    });
  });
}

/**
 * Reads what main.ts prints once it is ready: "Listening on http://localhost:PORT ..." and then, after
 * "Sign-in links ...", one "  <label padded>  http://.../signin/<secret>" line per link, ended by an
 * empty line. Returns null while the output is not complete yet.
 */
function parseBanner(out: string): { url: string; port: number; links: Map<string, string> } | null {
  const listening = /Listening on (http:\/\/localhost:(\d+))/.exec(out);
  if (!listening) return null;
  const lines = out.split('\n');
  const first = lines.findIndex((l) => l.startsWith('Sign-in links'));
  if (first < 0) return null;
  // The blank line that ends the block must itself be complete (followed by a newline).
  const last = lines.findIndex((l, i) => i > first && i < lines.length - 1 && l.trim() === '');
  if (last < 0) return null;
  const links = new Map<string, string>();
  for (const line of lines.slice(first + 1, last)) {
    const at = line.lastIndexOf('/signin/');
    const urlStart = line.lastIndexOf(' http');
    if (at < 0 || urlStart < 0) continue;
    links.set(line.slice(0, urlStart).trim(), line.slice(at + '/signin/'.length).trim());
  }
  return { url: listening[1], port: Number(listening[2]), links };
}

/** Stops a server process if it is still running and waits for it to be gone. */
export async function stopServerProcess(p: ServerProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}
