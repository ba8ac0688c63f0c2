// What every view of the page uses: its elements, text nodes, the status line, who is signed in, and
// switching between the views.
export const $ = (selector) => document.querySelector(selector);

// The signed-in person (null when no one is) and the room open in the conversation (its id, or null).
export const session = { me: null, openRoomId: null };

export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text; // always text, never HTML
  if (className) node.className = className;
  return node;
}

const SAID_FOR_MS = 8000; // a status line clears itself: an old one would read as news
let saidTimer = null;

export function say(text) {
  $("#status").textContent = text;
  clearTimeout(saidTimer);
  if (text) saidTimer = setTimeout(() => { $("#status").textContent = ""; }, SAID_FOR_MS);
}

// Each view may read what it shows when it is shown: view id -> async () => {}.
const onShown = new Map();

export function whenShown(viewId, show) {
  onShown.set(viewId, show);
}

export function showView(id) {
  for (const button of document.querySelectorAll("#views button")) {
    const active = button.dataset.view === id;
    button.setAttribute("aria-pressed", String(active));
    document.getElementById(button.dataset.view).hidden = !active;
  }
  onShown.get(id)?.().catch((error) => say(error.message));
}

// A socket told us the session is over (logout elsewhere, expiry, account deleted): the account view
// (app.js) says so and starts again.
let sessionEnded = async () => {};

export function whenSessionEnds(handler) {
  sessionEnded = handler;
}

export function endSession(frame) {
  return sessionEnded(frame);
}
