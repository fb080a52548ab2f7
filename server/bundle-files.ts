// Reads a bundle folder from disk into file name → text, for parseBundle.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBundle, type Bundle } from '../shared/bundle';

export async function readBundleDir(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    if (name.endsWith('.csv') || name.endsWith('.json')) files[name] = await readFile(path.join(dir, name), 'utf8');
  }
  return files;
}

export async function loadBundleDir(dir: string): Promise<Bundle> {
  const result = parseBundle(await readBundleDir(dir));
  if (!result.ok) throw new Error(`The bundle in ${dir} is not valid:\n${result.errors.join('\n')}`);
  return result.bundle;
}
