// The list of rooms: every room you belong to and the public ones you could join, with their unread
// badges, and the unread count of the rooms not open in the tab's title. Read from getRooms on each
// hello of the event stream, then kept by what the stream says (app.js).
import { api } from "./api.js";
import { $, element, say, session } from "./page.js";

export const rooms = new Map(); // id -> the room as getRooms lists it
// Rooms where someone mentioned you after what you read there: from the newest mentions when the list
// is read, then from the event stream's activity.
export const mentioned = new Set();

let choose = async () => {}; // what a click on a room does (the conversation's openRoom)

export function whenChosen(handler) {
  choose = handler;
}

// Every page of the room list: each holds all of your rooms and the next public ones you are not in.
export async function allRooms() {
  const listed = new Map();
  let after = 0;
  for (;;) {
    const page = await api("GET", `/ws/getRooms?after_id=${after}&limit=500`);
    page.rooms.forEach((r) => listed.set(r.id, r));
    if (page.next_after_id === null) return [...listed.values()].sort((a, b) => a.id - b.id);
    after = page.next_after_id;
  }
}

let listings = 0; // the latest getRooms read wins over one that answers after it
let reading = 0; // reads on their way
// What the event stream said while a read was on its way: the read may predate it, so it is applied
// again once the read lands (activity up to a room's last_seq as read is counted there already).
const heardMeanwhile = [];

export async function showRooms() {
  const listing = ++listings;
  const heardBefore = heardMeanwhile.length;
  reading += 1;
  let read, mentions;
  try {
    [read, { mentions }] = await Promise.all([allRooms(), api("GET", "/ws/mentions?limit=100")]);
  } finally {
    reading -= 1;
  }
  if (listing !== listings) return read;
  rooms.clear();
  read.forEach((r) => rooms.set(r.id, r));
  heardMeanwhile.splice(0, heardBefore);
  heardMeanwhile.splice(0).forEach(applyStreamFrame);
  mentioned.clear();
  for (const mention of mentions) {
    if (mention.seq > (rooms.get(mention.room_id)?.last_read_seq ?? Infinity)) mentioned.add(mention.room_id);
  }
  renderRooms();
  return read;
}

export function renderRooms() {
  const sorted = [...rooms.values()].sort((a, b) => a.id - b.id);
  const open = session.openRoomId;
  // What waits elsewhere, in the tab's title: seen from another tab or window too.
  const unread = sorted.reduce((sum, r) => sum + (r.id === open ? 0 : r.unread || 0), 0);
  document.title = unread ? `(${unread > 999 ? "999+" : unread}) Parley` : "Parley";
  $("#room-list").replaceChildren(...sorted.map((r) => {
    const item = element("li");
    const button = element("button", r.name, "room-link");
    button.type = "button";
    if (r.id === open) button.setAttribute("aria-current", "true");
    button.addEventListener("click", () => choose(r).catch((error) => say(error.message)));
    const members = `${r.members} ${r.members === 1 ? "member" : "members"}`;
    const kind = r.kind === "dm" ? "direct message" : `${members}${r.private ? " · private" : ""}`;
    const meta = element("span", `${kind} · ${r.online} online`, "meta");
    const count = r.id === open ? 0 : r.unread; // the open room is being read
    if (count) {
      const badge = element("span", count >= 1000 ? "999+" : String(count), "badge");
      badge.setAttribute("aria-label", `${count} unread`);
      meta.append(badge);
    }
    if (mentioned.has(r.id) && r.id !== open) {
      const badge = element("span", "@", "badge mention-badge");
      badge.setAttribute("aria-label", "mentions you");
      meta.append(badge);
    }
    item.append(button, meta);
    return item;
  }));
}

// activity, room_added, room_updated or room_removed, from the event stream.
export function applyStreamFrame(frame) {
  if (frame.type === "activity") {
    const listed = rooms.get(frame.room_id);
    if (listed && frame.seq > listed.last_seq) {
      listed.last_seq = frame.seq;
      // A message of someone else's, in a room not being read, is one more to read.
      if (frame.kind === "message" && frame.from.id !== session.me?.id && frame.room_id !== session.openRoomId) {
        listed.unread = (listed.unread || 0) + 1;
        if (frame.mention) mentioned.add(frame.room_id);
      }
    }
  } else if (frame.type === "room_removed") {
    rooms.delete(frame.room_id);
    mentioned.delete(frame.room_id);
  } else {
    rooms.set(frame.room.id, frame.room);
  }
  if (reading) heardMeanwhile.push(frame);
}

export function forgetRooms() {
  rooms.clear();
  mentioned.clear();
  listings += 1; // a read still on its way is for someone else
  $("#room-list").replaceChildren();
  document.title = "Parley";
}
