// A coordinator's phone on bad wifi, in a process of its own: it follows the night and prints the
// check-in count after every update; the test stops it (SIGSTOP) so that it reads nothing for a while.
//   node tests/helpers/slow-client.mjs URL TOKEN
import jsonPatch from 'fast-json-patch';
import { io } from 'socket.io-client';

const [url, token] = process.argv.slice(2);
const socket = io(url, { transports: ['websocket'], auth: { token }, forceNew: true });
let view = null;
let seq = null;
const show = () => process.stdout.write(`checkedIn=${view.counts.checkedIn}\n`);
const hello = async () => {
  const answer = await socket.emitWithAck('hello', { nightId: null, lastSeq: null });
  view = answer.view;
  seq = answer.seq;
  show();
};
socket.on('connect', () => void hello());
socket.on('sync', (m) => {
  if (view === null || m.kind !== 'delta' || m.fromSeq !== seq) return void hello();
  view = jsonPatch.applyPatch(view, m.patch, false, false).newDocument;
  seq = m.seq;
  show();
});
