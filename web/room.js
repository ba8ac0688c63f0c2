// One room's live connection: history first, then the WebSocket with ?after=, reconnecting with
// backoff and filling any gap in seq from the history route. Each stored event is applied once.
import { api } from "./api.js";

// Sent just before the server closes a socket whose token was revoked, expired or lost its user.
const SESSION_ENDED = new Set(["token_revoked", "token_expired"]);

export class RoomConnection {
  constructor(roomId, handlers) {
    this.roomId = roomId;
    // onEvent(event), onPresence(clients), onState(text), onError(frame), onSessionEnded(frame), onTyping(user)
    this.handlers = handlers;
    this.lastSeq = 0;
    this.readThrough = 0; // the room's last seq when the history applied last was read
    this.clients = new Map();
    this.closed = false;
    this.attempt = 0;
    this.inOrder = Promise.resolve(); // frames are handled one after another, a gap fill included
  }

  async open() {
    // The newest 200 events; the socket then sends what comes after them.
    const page = await api("GET", `/ws/rooms/${this.roomId}/messages?limit=200&before=${Number.MAX_SAFE_INTEGER}`);
    if (this.closed) return; // another room was opened meanwhile
    this.readThrough = page.last_seq; // what the history's counts (replies) include
    page.events.forEach((event) => this.apply(event));
    this.connect();
  }

  connect() {
    if (this.closed) return;
    this.handlers.onState(this.attempt ? "Reconnecting…" : "Connecting…");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new WebSocket(`${scheme}://${location.host}/ws/joinRoom/${this.roomId}?after=${this.lastSeq}`);
    const socket = this.socket;
    this.socket.onmessage = (message) => this.onFrame(JSON.parse(message.data), socket);
    this.socket.onclose = () => {
      if (this.closed) return;
      this.attempt += 1;
      const delay = Math.min(10000, 250 * 2 ** Math.min(this.attempt, 6)) * (0.5 + Math.random());
      this.handlers.onState("Reconnecting…");
      setTimeout(() => this.connect(), delay);
    };
  }

  // Each frame waits for the one before it: while a gap is filled from the history route, the frames
  // behind it wait instead of being applied first (and the missing ones then dropped as old). A gap
  // that cannot be filled ends this socket: the next one asks for everything after what was applied.
  onFrame(frame, socket) {
    this.inOrder = this.inOrder
      .then(() => (socket === this.socket ? this.receive(frame) : undefined))
      .catch(() => {
        if (socket === this.socket) socket.close(1000);
      });
  }

  async receive(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      this.clients = new Map(frame.clients.map((user) => [user.id, user]));
      this.handlers.onPresence([...this.clients.values()]);
      this.handlers.onState("Connected");
    } else if (frame.type === "join") {
      this.clients.set(frame.user.id, frame.user);
      this.handlers.onPresence([...this.clients.values()]);
    } else if (frame.type === "leave") {
      this.clients.delete(frame.user.id);
      this.handlers.onPresence([...this.clients.values()]);
    } else if (frame.type === "typing") {
      this.handlers.onTyping(frame.user);
    } else if (frame.type === "error" && SESSION_ENDED.has(frame.code)) {
      this.closed = true; // reconnecting with a dead token would only be refused
      this.handlers.onSessionEnded(frame);
    } else if (frame.type === "error") {
      this.handlers.onError(frame);
    } else if (frame.seq !== undefined) {
      if (frame.seq > this.lastSeq + 1) await this.fillGap(frame.seq);
      this.apply(frame);
    }
  }

  async fillGap(beforeSeq) {
    const page = await api("GET", `/ws/rooms/${this.roomId}/messages?after=${this.lastSeq}&before=${beforeSeq}&limit=500`);
    this.readThrough = page.last_seq;
    page.events.forEach((event) => this.apply(event));
  }

  apply(event) {
    if (this.closed || event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    this.handlers.onEvent(event);
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  close() {
    this.closed = true;
    if (this.socket) this.socket.close(1000);
  }
}
