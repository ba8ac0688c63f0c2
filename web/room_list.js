// The list of rooms: every room you belong to and the public ones you could join, with their unread
// badges, and the unread count of the rooms not open in the tab's title. Read from getRooms on each
// hello of the event stream, then kept by what the stream says (app.js).
import { api } from "./api.js";
import { $, element, say, session } from "./page.js";

export const rooms = new Map(); // id -> the room as getRooms lists it

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

export async function showRooms() {
  const listing = ++listings;
  const read = await allRooms();
  if (listing !== listings) return read;
  rooms.clear();
  read.forEach((r) => rooms.set(r.id, r));
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
    item.append(button, meta);
    return item;
  }));
}

export function forgetRooms() {
  rooms.clear();
  listings += 1; // a read still on its way is for someone else
  $("#room-list").replaceChildren();
  document.title = "Parley";
}
