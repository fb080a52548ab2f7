// A simulator's night from a bundle folder: the bundle and the simulator's inputs (arrivals and
// conference lengths, from the folder's CSVs or sampled with `seed`).
import { parseBundle, type Bundle } from '../../shared/bundle';
import { readBundleDir } from '../../server/bundle-files';
import { nightInputs } from '../../server/sim/inputs';
import type { NightInputs } from '../../server/sim/simulate';

export async function loadNight(dir: string, seed = 1): Promise<{ bundle: Bundle; inputs: NightInputs }> {
  const files = await readBundleDir(dir);
  const parsed = parseBundle(files);
  if (!parsed.ok) throw new Error(`${dir} does not parse:\n${parsed.errors.join('\n')}`);
  return { bundle: parsed.bundle, inputs: nightInputs(parsed.bundle, files, seed) };
}
