// The signed-in user's own event stream (/ws/events): activity in every room of theirs, rooms added,
// renamed and removed, and the end of their session, so that the room list needs no polling. It has
// no resume: on every hello (the first, and after each reconnect) the room list is read again.

export class UserEvents {
  constructor(handlers) {
    // onHello(), onFrame(frame) for the rest, onSessionEnded(frame)
    this.handlers = handlers;
    this.closed = false;
    this.attempt = 0;
  }

  connect() {
    if (this.closed) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events`);
    this.socket = socket;
    socket.onmessage = (message) => {
      if (socket === this.socket) this.receive(JSON.parse(message.data));
    };
    socket.onclose = () => {
      if (this.closed || socket !== this.socket) return;
      this.attempt += 1;
      const delay = Math.min(10000, 250 * 2 ** Math.min(this.attempt, 6)) * (0.5 + Math.random());
      setTimeout(() => this.connect(), delay);
    };
  }

  receive(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      this.handlers.onHello();
    } else if (frame.type === "session_ended") {
      this.closed = true; // reconnecting with a dead token would only be refused
      this.handlers.onSessionEnded(frame);
    } else {
      this.handlers.onFrame(frame);
    }
  }

  close() {
    this.closed = true;
    if (this.socket) this.socket.close(1000);
  }
}
