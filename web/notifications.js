// Desktop notifications for direct messages and mentions while the tab is hidden. The browser's
// permission is asked only when the person clicks "Turn on notifications", never on load: a page
// that asks unprompted is refused by most people, and by Chromium's quieter prompts. Where the API is
// missing (plain http under a name other than localhost is not a secure context) the button stays hidden.
import { api } from "./api.js";

const BODY_LENGTH = 140;
const supported = () => "Notification" in window;

export function offerNotifications(button, loggedIn) {
  button.hidden = !(loggedIn && supported() && Notification.permission === "default");
}

export function askForNotifications(button) {
  Notification.requestPermission().then(() => offerNotifications(button, true));
}

const allowed = () => supported() && Notification.permission === "granted" && document.hidden;

// activity: the event stream's frame; room: as the room list has it; me: the signed-in user;
// open(roomId): what a click on the notification does.
export async function notifyActivity(activity, room, me, open) {
  if (!allowed() || activity.kind !== "message" || activity.from.id === me.id) return;
  const direct = room.kind === "dm";
  if (!direct && !activity.mention) return;
  const title = direct ? activity.from.username : `${activity.from.username} mentioned you in ${room.name}`;
  show(title, await messageText(room.id, `after=${activity.seq - 1}&limit=1`), room.id, open);
}

// A DM someone opened with you and wrote in: it comes as room_added, its first words unread.
export async function notifyNewDirectRoom(room, me, open) {
  if (!allowed() || room.kind !== "dm" || !room.unread) return;
  const others = room.name.split(" & ").filter((name) => name !== me.username);
  show(others[0] || room.name, await messageText(room.id, `before=${Number.MAX_SAFE_INTEGER}&limit=1`), room.id, open);
}

function show(title, body, roomId, open) {
  // One per room: the newest replaces the one before.
  const notification = new Notification(title, { body, tag: `room-${roomId}` });
  notification.onclick = () => {
    window.focus();
    open(roomId);
    notification.close();
  };
}

async function messageText(roomId, query) {
  try {
    const { events } = await api("GET", `/ws/rooms/${roomId}/messages?${query}`);
    const text = events.at(-1)?.content || "";
    return text.length > BODY_LENGTH ? `${text.slice(0, BODY_LENGTH - 1)}…` : text;
  } catch {
    return ""; // the notification says who, even when what cannot be read
  }
}
