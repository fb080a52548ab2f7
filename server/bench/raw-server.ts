// The physical limit the load test compares against: a bare Socket.IO server on the same machine
// that acknowledges an emit at once and rebroadcasts a message to every socket, nothing more.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('ping', (ack: () => void) => ack());
  socket.on('broadcast', (payload: unknown) => io.emit('b', payload));
});
httpServer.listen(0, '127.0.0.1', () => {
  process.send!({ url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` });
});
