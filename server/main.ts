// `npm start`: one server, the demo night (or the night already in DATA_DIR), and a sign-in link per role.
import path from 'node:path';
import { startServer } from './app';
import { defaultRateLimit, type RateLimit } from './realtime';

/** RATE_LIMIT: unset (20 messages/s, burst 40 per connection), "off", or "PER_SECOND/BURST". */
function rateLimitFromEnv(value: string | undefined): RateLimit | false {
  if (!value) return defaultRateLimit;
  if (value === 'off') return false;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m) {
    console.error(`RATE_LIMIT must be "off" or "PER_SECOND/BURST" (e.g. 20/40), not "${value}".`);
    process.exit(1);
  }
  return { ...defaultRateLimit, perSecond: Number(m[1]), burst: Number(m[2]) };
}

const port = Number(process.env.PORT ?? 3000);
const dataDir = path.resolve(process.env.DATA_DIR ?? './data');

// REDIS_URL: several processes serve one night from Redis; REDIS_PREFIX names the night's keys.
const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, prefix: process.env.REDIS_PREFIX ?? 'conference-night:default:' } : undefined;

const server = await startServer({ port, dataDir, redis, publicUrl: process.env.PUBLIC_URL, rateLimit: rateLimitFromEnv(process.env.RATE_LIMIT) }).catch((e: Error) => {
  console.error(`Conference Night could not start: ${e.message}`);
  process.exit(1);
});

const night = server.host.committed.setup!.event;
console.log(`\nConference Night — ${night.name}`);
console.log(`Listening on ${server.url} (data in ${redis ? `Redis, ${redis.prefix}` : dataDir}, ${server.host.committedSeq} events so far)\n`);
console.log('Sign-in links (open each on its device; keep them private):');
for (const link of server.links) console.log(`  ${link.label.padEnd(42)} ${link.url}`);
console.log('');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: saving a snapshot and stopping.`);
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
