// Parley's web client: account, rooms, and the conversation of the open room.
import { api, newClientId, plainWords } from "./api.js";
import { limitLength, readLimits, typingInterval } from "./limits.js";
import { askForNotifications, notifyActivity, notifyNewDirectRoom, offerNotifications } from "./notifications.js";
import { MentionCompletion } from "./mention_completion.js";
import { RoomConnection } from "./room.js";
import { RoomSwitcher } from "./room_switcher.js";
import { UserEvents } from "./user_events.js";

const $ = (selector) => document.querySelector(selector);
let me = null;
let userEvents = null; // the user's own event stream, while logged in
const roomList = new Map(); // id -> the room as getRooms lists it, kept current by the event stream
let room = null; // { id, name, connection, firstSeq, readMark, dividerShown, readSent, typists, live }
// A typist is shown this many of the server's typing intervals (it relays one at most so often).
const TYPING_SHOWN_INTERVALS = 1.5;
let typingSentAt = 0;

const SAID_FOR_MS = 8000; // a status line clears itself: an old one would read as news
let saidTimer = null;

function say(text) {
  $("#status").textContent = text;
  clearTimeout(saidTimer);
  if (text) saidTimer = setTimeout(() => { $("#status").textContent = ""; }, SAID_FOR_MS);
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text; // always text, never HTML
  if (className) node.className = className;
  return node;
}

async function showSession() {
  try {
    me = await api("GET", "/auth/me");
  } catch (error) {
    me = null;
    if (error.status !== 401) say(error.message);
  }
  $("#account").hidden = Boolean(me);
  $("#views").hidden = !me;
  showView(me ? "chat-app" : null);
  $("#logout").hidden = !me;
  offerNotifications($("#notify"), Boolean(me));
  $("#who").textContent = me ? `Logged in as ${me.username}` : "";
  if (userEvents) userEvents.close();
  userEvents = null;
  if (me) {
    userEvents = new UserEvents({
      // The stream has no resume: each (re)connect reads the list again.
      onHello: () => showRooms().catch(() => {}),
      onFrame: onUserEvent,
      onSessionEnded: async (frame) => {
        await showSession();
        say(plainWords(frame.code, frame.message));
      },
    });
    userEvents.connect();
    await followLocation(await showRooms());
  } else {
    leaveRoomView();
    roomList.clear();
    document.title = "Parley";
  }
}

// What the event stream says, applied to the room list at once.
function onUserEvent(frame) {
  if (frame.type === "activity") {
    const listed = roomList.get(frame.room_id);
    if (listed) notifyActivity(frame, listed, me, openRoomById).catch(() => {});
    const beingRead = room && room.id === frame.room_id;
    if (!listed || beingRead || frame.kind !== "message" || frame.from.id === me.id) return;
    listed.unread = (listed.unread || 0) + 1;
  } else if (frame.type === "room_added" || frame.type === "room_updated") {
    if (frame.type === "room_added") notifyNewDirectRoom(frame.room, me, openRoomById).catch(() => {});
    roomList.set(frame.room.id, frame.room);
    if (room && room.id === frame.room.id) {
      room.name = frame.room.name;
      $("#room-name").textContent = frame.room.name;
    }
  } else if (frame.type === "room_removed") {
    roomList.delete(frame.room_id);
    if (room && room.id === frame.room_id) {
      backToRoomList().catch(() => {});
      say("You are no longer in that room.");
    }
    showRooms().catch(() => {}); // a public room you left is still there to join
  } else {
    return;
  }
  renderRooms();
}

// Each room has its address, #/rooms/ID: kept on reload, and back and forward move between rooms.
const ROOM_ADDRESS = /^#\/rooms\/(\d+)$/;

async function followLocation(rooms) {
  const wanted = Number(ROOM_ADDRESS.exec(location.hash)?.[1]);
  if (!wanted) {
    if (room) leaveRoomView();
    return;
  }
  if (room && room.id === wanted) return;
  const summary = rooms.find((r) => r.id === wanted);
  if (summary) await openRoom(summary);
  else say("That room is not one you can open.");
}

window.addEventListener("popstate", () => {
  if (me) allRooms().then(followLocation).catch((error) => say(error.message));
});

// Every page of the room list: each holds all of your rooms and the next public ones you are not in.
async function allRooms() {
  const rooms = new Map();
  let after = 0;
  for (;;) {
    const page = await api("GET", `/ws/getRooms?after_id=${after}&limit=500`);
    page.rooms.forEach((r) => rooms.set(r.id, r));
    if (page.next_after_id === null) return [...rooms.values()].sort((a, b) => a.id - b.id);
    after = page.next_after_id;
  }
}

let listings = 0; // the latest getRooms read wins over one that answers after it

async function showRooms() {
  const listing = ++listings;
  const rooms = await allRooms();
  if (listing !== listings) return rooms;
  roomList.clear();
  rooms.forEach((r) => roomList.set(r.id, r));
  renderRooms();
  return rooms;
}

function renderRooms() {
  const rooms = [...roomList.values()].sort((a, b) => a.id - b.id);
  // What waits elsewhere, in the tab's title: seen from another tab or window too.
  const unread = rooms.reduce((sum, r) => sum + (room && room.id === r.id ? 0 : r.unread || 0), 0);
  document.title = unread ? `(${unread > 999 ? "999+" : unread}) Parley` : "Parley";
  const list = $("#room-list");
  list.replaceChildren(...rooms.map((r) => {
    const item = element("li");
    const open = element("button", r.name, "room-link");
    open.type = "button";
    if (room && room.id === r.id) open.setAttribute("aria-current", "true");
    open.addEventListener("click", () => openRoom(r).catch((error) => say(error.message)));
    const members = `${r.members} ${r.members === 1 ? "member" : "members"}`;
    const kind = r.kind === "dm" ? "direct message" : `${members}${r.private ? " · private" : ""}`;
    const meta = element("span", `${kind} · ${r.online} online`, "meta");
    const unread = room && room.id === r.id ? 0 : r.unread; // the open room is being read
    if (unread) {
      const badge = element("span", unread >= 1000 ? "999+" : String(unread), "badge");
      badge.setAttribute("aria-label", `${unread} unread`);
      meta.append(badge);
    }
    item.append(open, meta);
    return item;
  }));
}

function leaveRoomView() {
  for (const clientId of [...unsent.keys()]) forgetUnsent(clientId);
  if (room) room.connection.close();
  room = null;
  $("#room").hidden = true;
  $("#chat-app").classList.remove("in-room");
}

let openings = 0; // the latest openRoom() call wins: a click while the address opens a room, say

async function openRoom(summary) {
  const opening = ++openings;
  leaveRoomView();
  const joined = await api("POST", `/ws/rooms/${summary.id}/members`);
  if (opening !== openings) return;
  $("#room").hidden = false;
  $("#chat-app").classList.add("in-room"); // on a phone, the conversation alone
  $("#room-name").textContent = summary.name;
  $("#messages").replaceChildren();
  $("#invite").hidden = !(joined.private && joined.owner_id === me.id);
  const owner = joined.owner_id === me.id && joined.kind !== "dm";
  $("#rename").hidden = !owner;
  $("#delete-room").hidden = !owner;
  const connection = new RoomConnection(summary.id, {
    onEvent: (event) => { showEvent(event); scheduleRead(); },
    onPresence: (clients) => {
      $("#online").replaceChildren(...clients.map((user) => element("li", user.username)));
      const listed = roomList.get(summary.id);
      if (listed && listed.online !== clients.length) {
        listed.online = clients.length;
        renderRooms();
      }
    },
    onState: (text) => {
      $("#connection").textContent = text;
      if (text === "Connected") scheduleRead();
    },
    onTyping: showTypist,
    onError: (frame) => {
      if (unsent.has(frame.ref)) markUnsent(frame.ref, plainWords(frame.code, frame.message));
      else say(plainWords(frame.code, frame.message));
    },
    onSessionEnded: async (frame) => {
      await showSession();
      say(plainWords(frame.code, frame.message));
    },
  });
  room = { id: summary.id, name: summary.name, connection, firstSeq: null, readMark: summary.last_read_seq || 0,
    dividerShown: false, readSent: summary.last_read_seq || 0, typists: new Map(), live: false };
  $("#typing").textContent = "";
  await connection.open();
  if (opening !== openings) return;
  room.live = true; // from now on messages arrive in front of the person
  if (location.hash !== `#/rooms/${summary.id}`) history.pushState(null, "", `#/rooms/${summary.id}`);
  const listed = roomList.get(summary.id);
  if (listed) listed.unread = 0; // its badge goes: it is being read
  renderRooms();
  $("#older").hidden = !room.firstSeq || room.firstSeq <= 1;
}

// Tells the server what has been seen (a read frame), a moment after it was shown.
function scheduleRead() {
  if (!room) return;
  clearTimeout(room.readTimer);
  room.readTimer = setTimeout(() => {
    const seq = room?.connection.lastSeq;
    if (!room || document.hidden || !(seq > room.readSent)) return;
    if (room.connection.send({ type: "read", seq })) room.readSent = seq;
  }, 500);
}

document.addEventListener("visibilitychange", scheduleRead);

function showTypist(user) {
  if (!room) return;
  clearTimeout(room.typists.get(user.username));
  const shownMs = Math.max(1, typingInterval()) * 1000 * TYPING_SHOWN_INTERVALS;
  room.typists.set(user.username, setTimeout(() => forgetTypist(user.username), shownMs));
  showTypists();
}

function forgetTypist(username) {
  if (!room) return;
  clearTimeout(room.typists.get(username));
  room.typists.delete(username);
  showTypists();
}

function showTypists() {
  const names = [...room.typists.keys()];
  $("#typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

// The server's rule for a mention: @name, not inside a word or an address, a final "." ending the
// sentence; so @alicesmith does not mention alice.
const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

function mentionsMe(content) {
  if (!me || !content) return false;
  const mine = me.username.toLowerCase();
  return [...content.matchAll(MENTION)].some((match) => match[1].replace(/\.+$/, "").toLowerCase() === mine);
}

// http(s) addresses in a message, as links; what ends a sentence after one is not part of it.
const LINK = /\bhttps?:\/\/[^\s<>"]+/g;

function showContent(node, text) {
  const parts = [];
  let shown = 0;
  for (const match of text.matchAll(LINK)) {
    const address = match[0].replace(/[.,;:!?)\]}'"]+$/, "");
    const link = element("a", address); // text, never HTML; the scheme is http(s) by the pattern
    link.href = address;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parts.push(text.slice(shown, match.index), link);
    shown = match.index + address.length;
  }
  parts.push(text.slice(shown));
  node.replaceChildren(...parts);
}

// Initials on a colour of the person's own (from their id: the same everywhere, no outside service).
function avatar(user) {
  const node = element("span", user.username.replace(/[^A-Za-z0-9]/g, "").slice(0, 2).toUpperCase(), "avatar");
  node.style.backgroundColor = `hsl(${((user.id ?? 0) * 137) % 360} 55% 42%)`;
  node.setAttribute("aria-hidden", "true");
  return node;
}

function timeNode(createdAt) {
  const when = new Date(createdAt);
  const node = element("time", when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), "when");
  node.dateTime = createdAt;
  node.title = when.toLocaleString();
  return node;
}

function messageNode(event) {
  const node = element("li", undefined, "message");
  if (mentionsMe(event.content)) node.classList.add("mention");
  node.dataset.id = event.id;
  node.dataset.userId = event.user.id ?? "";
  node.dataset.createdAt = event.created_at || new Date().toISOString(); // not stored yet: now
  const content = element("span", undefined, "content");
  showContent(content, event.content);
  const head = element("span", undefined, "head");
  head.append(element("span", event.user.username, "author"), timeNode(node.dataset.createdAt));
  node.append(avatar(event.user), head, content);
  if (me && event.user.id === me.id && event.id) {
    const tools = element("span", undefined, "tools");
    const edit = element("button", "Edit");
    edit.dataset.action = "Edit";
    edit.type = "button";
    edit.addEventListener("click", () => startEditing(node));
    const remove = element("button", "Delete");
    remove.dataset.action = "Delete";
    remove.type = "button";
    remove.addEventListener("click", () => {
      if (confirm("Delete this message? Everyone in the room stops seeing it.")) {
        room.connection.send({ type: "delete", id: Number(node.dataset.id) });
      }
    });
    tools.append(edit, remove);
    node.append(tools);
  }
  nameActions(node);
  return node;
}

// A message's buttons say which message they act on ("Edit “see you at five”"): a screen reader
// lists every message's Edit, and "Edit" alone would not tell them apart.
function nameActions(node) {
  const text = node.querySelector(".content")?.textContent ?? "";
  const preview = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  for (const button of node.querySelectorAll("button[data-action]")) {
    button.setAttribute("aria-label", `${button.dataset.action} “${preview}”`);
  }
}

function startEditing(node) {
  const open = node.querySelector("form.edit");
  if (open) {
    open.querySelector("input").focus(); // already editing this one
    return;
  }
  const content = node.querySelector(".content");
  const form = element("form", undefined, "edit");
  const input = element("input");
  input.value = content.textContent;
  input.setAttribute("aria-label", "New wording");
  limitLength(input, "ws", "message_length");
  const save = element("button", "Save");
  const cancel = element("button", "Cancel");
  cancel.type = "button";
  const stopEditing = () => form.replaceWith(content);
  cancel.addEventListener("click", stopEditing);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") stopEditing();
  });
  form.append(input, save, cancel);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text) room.connection.send({ type: "edit", id: Number(node.dataset.id), content: text });
    stopEditing();
  });
  content.replaceWith(form);
  input.focus();
}

function showEvent(event, list = $("#messages")) {
  const followingTheNewest = list.isConnected && atTheNewest(list);
  if (room && (room.firstSeq === null || event.seq < room.firstSeq)) room.firstSeq = event.seq;
  if (event.type === "message") {
    const pending = event.client_id && list.querySelector(`[data-client-id="${CSS.escape(event.client_id)}"]`);
    if (event.client_id) forgetUnsent(event.client_id);
    const node = messageNode(event);
    if (pending) pending.replaceWith(node); // our own message, confirmed: shown once
    else list.append(node);
    if (room && list.id === "messages") markFirstUnread(event, node);
    if (room) forgetTypist(event.user.username);
  } else if (event.type === "message_edited") {
    const message = list.querySelector(`[data-id="${event.id}"]`);
    const node = message?.querySelector(".content");
    if (node) {
      showContent(node, event.content);
      nameActions(message);
      if (!message.querySelector(".edited")) message.querySelector(".head").append(element("span", "(edited)", "edited"));
    }
  } else if (event.type === "message_deleted") {
    list.querySelector(`[data-id="${event.id}"]`)?.remove();
  }
  arrangeDays(list);
  if (followingTheNewest) list.lastElementChild?.scrollIntoView({ block: "end" });
}

// Someone reading the newest messages is kept at them: when one arrives, and when what is around the
// conversation changes its height (the people here, the typing line, a phone's keyboard). Someone who
// scrolled back to read is left where they are.
function atTheNewest(list, height = list.clientHeight) {
  return list.scrollHeight - list.scrollTop - height < 24;
}

let historyHeight = 0; // as last laid out: a resize is judged by where the reader was before it
new ResizeObserver(() => {
  const list = $("#messages");
  if (atTheNewest(list, historyHeight)) list.scrollTop = list.scrollHeight;
  historyHeight = list.clientHeight;
}).observe($("#messages"));

// A separator at each new day, and a person's messages within a few minutes of each other grouped
// under one name: worked out again over the whole list, which older pages are added to at the top.
const GROUPED_WITHIN_MS = 5 * 60 * 1000;

function dayName(when) {
  const day = new Date(when.getFullYear(), when.getMonth(), when.getDate());
  const today = new Date();
  const days = Math.round((new Date(today.getFullYear(), today.getMonth(), today.getDate()) - day) / 86400000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return when.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

function arrangeDays(list) {
  list.querySelectorAll(":scope > li.day").forEach((separator) => separator.remove());
  let previous = null;
  for (const node of list.querySelectorAll(":scope > li.message")) {
    const when = new Date(node.dataset.createdAt);
    const day = dayName(when);
    const newDay = !previous || dayName(previous.when) !== day;
    if (newDay) {
      const separator = element("li", day, "day");
      separator.setAttribute("role", "separator");
      const divider = node.previousElementSibling?.classList.contains("divider") ? node.previousElementSibling : null;
      (divider || node).before(separator); // the day first, then "New messages"
    }
    const grouped = !newDay && previous.userId === node.dataset.userId && when - previous.when < GROUPED_WITHIN_MS
      && node.previousElementSibling?.classList.contains("message");
    node.classList.toggle("continued", Boolean(grouped));
    previous = { when, userId: node.dataset.userId };
  }
}

// A divider above the first message of someone else that was not read when the room was opened.
function markFirstUnread(event, node) {
  if (room.dividerShown || event.seq <= room.readMark || event.user.id === me.id) return;
  if (room.live && !document.hidden) return; // watched as it arrived: not news
  room.dividerShown = true;
  const divider = element("li", "New messages", "divider");
  divider.setAttribute("role", "separator");
  node.before(divider);
}

// The event stream may say the room is gone before the answer comes: the room is read before.
$("#leave").addEventListener("click", async () => {
  const { id, name } = room;
  try {
    await api("DELETE", `/ws/rooms/${id}/members/me`);
    say(`You left ${name}.`);
    await backToRoomList();
  } catch (error) {
    say(error.message);
  }
});

$("#rename").addEventListener("click", async () => {
  const name = prompt("The room's new name", room.name)?.trim();
  if (!name || name === room.name) return;
  try {
    const renamed = await api("PATCH", `/ws/rooms/${room.id}`, { name });
    room.name = renamed.name;
    $("#room-name").textContent = renamed.name;
    await showRooms();
  } catch (error) {
    say(error.message);
  }
});

$("#delete-room").addEventListener("click", async () => {
  const { id, name } = room;
  if (!confirm(`Delete ${name} for everyone, with all its messages?`)) return;
  try {
    await api("DELETE", `/ws/rooms/${id}`);
    say(`${name} is deleted.`);
    await backToRoomList();
  } catch (error) {
    say(error.message);
  }
});

$("#delete-account").addEventListener("click", async () => {
  if (!confirm("Delete your account? Your posts and follows go with it, and it cannot be undone.")) return;
  try {
    await api("DELETE", "/users/delete");
    history.replaceState(null, "", location.pathname);
    await showSession();
    say("Your account is deleted.");
  } catch (error) {
    say(error.message);
  }
});

// Out of the open room, to the list of rooms: an address with no room, for back and forward.
async function backToRoomList() {
  leaveRoomView();
  history.pushState(null, "", location.pathname);
  await showRooms();
}

// On a phone, where the conversation takes the whole screen.
$("#back").addEventListener("click", () => backToRoomList().catch((error) => say(error.message)));

$("#older").addEventListener("click", async () => {
  const { events } = await api("GET", `/ws/rooms/${room.id}/messages?before=${room.firstSeq}&limit=100`);
  const older = document.createElement("ol"); // built apart, in seq order, then put on top
  events.forEach((event) => showEvent(event, older));
  const list = $("#messages");
  const fromBottom = list.scrollHeight - list.scrollTop; // what was in view stays in view
  list.prepend(...older.children);
  arrangeDays(list);
  list.scrollTop = list.scrollHeight - fromBottom;
  $("#older").hidden = events.length === 0 || room.firstSeq <= 1;
});

$("#invite").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const person = await api("GET", `/users/by-username/${encodeURIComponent(form.username.value.trim())}`);
    await api("POST", `/ws/rooms/${room.id}/members`, { user_id: person.id });
    say(`${person.username} can now join ${room.name}.`);
    form.reset();
  } catch (error) {
    say(error.code === "user_not_found" ? "There is no one by that name." : error.message);
  }
});

function showView(id) {
  for (const button of document.querySelectorAll("#views button")) {
    const active = button.dataset.view === id;
    button.setAttribute("aria-pressed", String(active));
    document.getElementById(button.dataset.view).hidden = !active;
  }
  if (id === "people-app") Promise.all([showFeed(), showSettings()]).catch((error) => say(error.message));
  if (id === "mentions-app") showMentions().catch((error) => say(error.message));
}

// The newest messages that mention you, each opening its room.
async function showMentions() {
  const { mentions } = await api("GET", "/ws/mentions");
  const items = mentions.map((mention) => {
    const item = element("li", undefined, "mention-item");
    const open = element("button", mention.room_name, "room-link");
    open.type = "button";
    open.addEventListener("click", () => {
      showView("chat-app");
      history.pushState(null, "", `#/rooms/${mention.room_id}`);
      allRooms().then(followLocation).catch((error) => say(error.message));
    });
    const content = element("span", undefined, "content");
    showContent(content, mention.content);
    item.append(open, element("span", mention.user.username, "author"), timeNode(mention.created_at), content);
    return item;
  });
  $("#mentions").replaceChildren(...items);
  if (!items.length) $("#mentions").append(element("li", "No one has mentioned you yet.", "meta"));
}

for (const button of document.querySelectorAll("#views button")) {
  button.addEventListener("click", () => showView(button.dataset.view));
}

function postNode(post) {
  const node = element("li", undefined, "post");
  node.append(element("span", post.username, "author"), element("span", post.content, "content"));
  return node;
}

async function showFeed() {
  // Those you follow, and you: your own posts belong in your feed too. Post ids rise with time.
  const [{ posts: theirs }, { posts: yours }] = await Promise.all([
    api("GET", "/users/feed?limit=50"), api("GET", `/users/${me.id}/posts?limit=50`)]);
  const posts = [...theirs, ...yours].sort((a, b) => b.id - a.id).slice(0, 50);
  $("#feed").replaceChildren(...posts.map(postNode));
}

// Whether I follow `userId`: every page of whom I follow, not the first page of their followers.
async function doIFollow(userId) {
  let after = 0;
  for (;;) {
    const page = await api("GET", `/users/${me.id}/following?after_id=${after}&limit=100`);
    if (page.users.some((user) => user.id === userId)) return true;
    if (page.next_after_id === null) return false;
    after = page.next_after_id;
  }
}

async function showProfile(userId) {
  const [profile, { posts }] = await Promise.all([
    api("GET", `/users/${userId}`), api("GET", `/users/${userId}/posts?limit=20`)]);
  const following = await doIFollow(userId);
  $("#profile").hidden = false;
  $("#profile-name").textContent = profile.username;
  const followers = `${profile.followers} ${profile.followers === 1 ? "follower" : "followers"}`;
  $("#profile-counts").textContent = `${followers} · ${profile.following} following`;
  const button = $("#follow");
  button.hidden = profile.id === me.id;
  $("#message-them").hidden = profile.id === me.id;
  $("#message-them").onclick = () => messagePerson(profile).catch((error) => say(error.message));
  const { blocked } = await api("GET", "/users/me/settings");
  const blocking = blocked.some((user) => user.id === profile.id);
  const block = $("#block");
  block.hidden = profile.id === me.id;
  block.textContent = blocking ? "Unblock" : "Block";
  block.onclick = async () => {
    try {
      await api("POST", `/users/${blocking ? "unblock" : "block"}?userId=${profile.id}`);
      say(blocking ? `You no longer block ${profile.username}.`
        : `You block ${profile.username}: neither of you can message the other.`);
      await showProfile(userId);
    } catch (error) {
      say(error.message);
    }
  };
  button.textContent = following ? "Unfollow" : "Follow";
  button.onclick = async () => {
    try {
      const path = following ? `/users/unfollow?toUnfollowId=${userId}` : `/users/follow?toFollowId=${userId}`;
      await api("POST", path);
      await showProfile(userId);
      await showFeed();
    } catch (error) {
      say(error.message);
    }
  };
  $("#profile-posts").replaceChildren(...posts.map(postNode));
}

async function messagePerson(profile) {
  const dm = await api("POST", `/ws/dm/${profile.id}`);
  showView("chat-app");
  const rooms = await showRooms();
  await openRoom(rooms.find((r) => r.id === dm.id) || dm);
}

async function showSettings() {
  const { dms_from: dmsFrom } = await api("GET", "/users/me/settings");
  $("#dms-from-following").checked = dmsFrom === "following";
}

$("#dms-from-following").addEventListener("change", async (event) => {
  const onlyFollowed = event.currentTarget.checked;
  try {
    await api("PATCH", "/users/me/settings", { dms_from: onlyFollowed ? "following" : "everyone" });
    say(onlyFollowed ? "Only people you follow can write to you now." : "Anyone can write to you now.");
  } catch (error) {
    say(error.message);
  }
});

$("#search").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { users } = await api("GET", `/users/list?q=${encodeURIComponent(event.currentTarget.q.value)}&limit=50`);
    $("#people").replaceChildren(...users.map((user) => {
      const item = element("li");
      const open = element("button", user.username, "room-link");
      open.type = "button";
      open.addEventListener("click", () => showProfile(user.id).catch((error) => say(error.message)));
      item.append(open);
      return item;
    }));
    if (!users.length) say("No one by that name.");
  } catch (error) {
    say(error.message);
  }
});

$("#new-post").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    await api("POST", "/users/posts", { content: form.content.value });
    form.reset();
    say("Posted.");
    await showFeed();
  } catch (error) {
    say(error.message);
  }
});

$("#account").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const credentials = { username: form.username.value, password: form.password.value };
  try {
    if (event.submitter.value === "register") await api("POST", "/auth/register", credentials);
    await api("POST", "/auth/login", credentials);
    form.password.value = "";
    say("");
    await showSession();
  } catch (error) {
    say(error.message);
  }
});

$("#notify").addEventListener("click", () => askForNotifications($("#notify")));

function openRoomById(roomId) {
  const listed = roomList.get(roomId);
  if (!listed) return;
  showView("chat-app");
  openRoom(listed).catch((error) => say(error.message));
}

$("#logout").addEventListener("click", async () => {
  try {
    await api("POST", "/auth/logout");
    history.replaceState(null, "", location.pathname); // the next person starts from no room
    say("You are logged out.");
  } catch (error) {
    say(error.message);
  }
  await showSession();
});

$("#new-room").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const created = await api("POST", "/ws/createRoom", { name: form.name.value, private: form.private.checked });
    form.reset();
    say("");
    await showRooms();
    await openRoom(created);
  } catch (error) {
    say(error.message);
  }
});

// Enter sends, Shift+Enter starts a new line (not while an input method is composing a word); Up,
// in an empty composer, edits your last message.
// The people a message may @-mention: those online in the room and those who wrote in what is shown.
const mentionCompletion = new MentionCompletion($("#composer").content, $("#completions"), () =>
  [...$("#online").children, ...$("#messages").querySelectorAll(".author")]
    .map((node) => node.textContent)
    .filter((name) => name !== me?.username && !name.startsWith("[")),
);

const roomSwitcher = new RoomSwitcher($("#switcher"), $("#switcher-input"), $("#switcher-list"),
  () => [...roomList.values()], openRoomById);
$("#go-to-room").addEventListener("click", () => roomSwitcher.show());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k" && me) {
    event.preventDefault();
    roomSwitcher.show();
  }
});

$("#composer").content.addEventListener("keydown", (event) => {
  if (mentionCompletion.handleKey(event)) return;
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("#composer").requestSubmit();
  } else if (event.key === "ArrowUp" && !event.currentTarget.value) {
    const mine = [...$("#messages").querySelectorAll("li.message")].filter((node) => node.querySelector(".tools"));
    if (mine.length) {
      event.preventDefault();
      startEditing(mine[mine.length - 1]);
    }
  }
});

$("#composer").addEventListener("input", () => {
  if (!room || Date.now() - typingSentAt < typingInterval() * 1000) return; // the server relays no more
  if (room.connection.send({ type: "typing" })) typingSentAt = Date.now();
});

// Messages sent and not yet confirmed (their stored event not back): client_id -> { node, content, timer }.
// One the server refuses, or does not answer in time, says so on itself, with Retry and Discard.
const SEND_ANSWER_MS = 10000;
const unsent = new Map();

function sendMessage(content, clientId, node) {
  const entry = { node, content, timer: null };
  unsent.set(clientId, entry);
  node.classList.remove("failed");
  node.classList.add("pending");
  node.querySelector(".unsent")?.remove();
  if (!room.connection.send({ type: "send", content, client_id: clientId })) {
    markUnsent(clientId, "Not connected.");
    return;
  }
  entry.timer = setTimeout(() => markUnsent(clientId, "No answer from the server."), SEND_ANSWER_MS);
}

function markUnsent(clientId, reason) {
  const entry = unsent.get(clientId);
  if (!entry) return;
  clearTimeout(entry.timer);
  const { node, content } = entry;
  node.classList.remove("pending");
  node.classList.add("failed");
  node.querySelector(".unsent")?.remove();
  const retry = element("button", "Retry");
  retry.dataset.action = "Retry";
  retry.type = "button";
  // The same client_id: if the first try was stored after all, the server answers with it, once.
  retry.addEventListener("click", () => sendMessage(content, clientId, node));
  const discard = element("button", "Discard");
  discard.dataset.action = "Discard";
  discard.type = "button";
  discard.addEventListener("click", () => {
    forgetUnsent(clientId);
    node.remove();
  });
  const box = element("span", undefined, "unsent");
  box.append(element("span", `Not sent: ${reason}`), retry, discard);
  node.append(box);
  nameActions(node);
}

function forgetUnsent(clientId) {
  clearTimeout(unsent.get(clientId)?.timer);
  unsent.delete(clientId);
}

$("#composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.currentTarget.content;
  const content = input.value.trim();
  if (!room || !content) return;
  const clientId = newClientId();
  const node = messageNode({ id: "", user: me, content });
  node.dataset.clientId = clientId;
  $("#messages").append(node);
  node.scrollIntoView({ block: "end" });
  input.value = "";
  sendMessage(content, clientId, node);
});

readLimits();
showSession();
