// The demo night that `npm start` opens: the app's own copy of the Lincoln Elementary bundle,
// moved to today's date so that its booked slots fall on the evening the demo runs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localDate } from '../shared/clock';
import type { Bundle } from '../shared/bundle';
import type { NightEvent } from '../shared/domain/state';
import { loadBundleDir } from './bundle-files';

export const demoBundleDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo', 'lincoln-elementary');

export async function demoNightEvents(now: number): Promise<NightEvent[]> {
  const bundle = await loadBundleDir(demoBundleDir);
  const setup: Bundle = { ...bundle, event: { ...bundle.event, date: localDate(now, bundle.event.timezone) } };
  return [{ type: 'nightCreated', at: now, setup }, { type: 'nightOpened', at: now }];
}
