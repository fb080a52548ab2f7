// A hostile client in its own process (as it would be on another machine): floods the server with
// commands and queries as fast as its socket takes them, reconnects whenever it is disconnected, and
// prints what came back as JSON.   node tests/helpers/flooder.mjs URL TOKEN MILLISECONDS
import { io } from 'socket.io-client';

const [url, token, ms] = process.argv.slice(2);
const counts = { sent: 0, rateLimited: 0, other: 0, connections: 0, disconnects: {} };
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  const socket = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false });
  const ok = await new Promise((resolve) => { socket.once('connect', () => resolve(true)); socket.once('connect_error', () => resolve(false)); });
  if (!ok) break;
  counts.connections++;
  socket.once('disconnect', (reason) => { counts.disconnects[reason] = (counts.disconnects[reason] ?? 0) + 1; });
  while (Date.now() < end && socket.connected) {
    for (let i = 0; i < 25; i++) {
      counts.sent++;
      socket.emit('command', { type: 'resume', teacherId: 'T001', commandId: `flood-${counts.sent}-xxxxxxxx` }, (a) => {
        if (!a.ok && a.code === 'rate_limited') counts.rateLimited++; else counts.other++;
      });
      socket.emit('query', { type: 'findFamilies', text: 'Tr' }, () => undefined);
    }
    await new Promise((r) => setImmediate(r));
  }
  socket.close();
}
process.stdout.write(JSON.stringify(counts));
process.exit(0);
