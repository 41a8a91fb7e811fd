// The project's websocket: events while connected, a reconnect with back-off when it drops.
// Events are hints; whoever listens re-reads the REST API on every (re)connect, because
// anything sent while the socket was down is lost.

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
const PING_EVERY_MS = 20000;
const PONG_WITHIN_MS = 10000;
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10000;

export class ProjectSocket {
  // onEvent(event) for each event; onStatus(state, detail) with "connecting", "live",
  // "reconnecting" or "closed"; onConnect() after every hello, first one included.
  constructor(path, { onEvent, onStatus, onConnect }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.handlers = { onEvent, onStatus, onConnect };
    this.retryMs = FIRST_RETRY_MS;
    this.socket = null;
    this.timers = {};
  }

  open() {
    this.handlers.onStatus("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("message", (message) => this.receive(message));
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  receive(message) {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event.type === "hello") {
      this.retryMs = FIRST_RETRY_MS;
      this.keepAlive();
      this.handlers.onStatus("live");
      this.handlers.onConnect();
    } else if (event.type === "pong") {
      clearTimeout(this.timers.pong);
    } else {
      this.handlers.onEvent(event);
    }
  }

  // A socket can die without a close frame (a sleeping laptop, a proxy); an unanswered ping finds out.
  keepAlive() {
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => {
      if (this.socket?.readyState !== WebSocket.OPEN) return;
      this.socket.send(JSON.stringify({ type: "ping" }));
      clearTimeout(this.timers.pong);
      this.timers.pong = setTimeout(() => this.socket?.close(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
    if (event.code === CLOSE_UNAUTHENTICATED) {
      this.handlers.onStatus("closed", "You are signed out. Log in again to see live updates.");
      return;
    }
    if (event.code === CLOSE_FORBIDDEN) {
      this.handlers.onStatus("closed", "You no longer belong to this project.");
      return;
    }
    this.handlers.onStatus("reconnecting");
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.open(), wait);
  }
}
