// The open room: its history and live messages, who is here and typing, the composer with its
// pending and failed sends, and the owner's and members' actions. One room at a time; its address is
// #/rooms/ID, kept on reload, with back and forward.
import { api, newClientId, plainWords } from "./api.js";
import { limitLength, typingInterval } from "./limits.js";
import { MentionCompletion } from "./mention_completion.js";
import { actionButton, applyReaction, arrangeDays, messageNode, nameActions, showEdited } from "./message_view.js";
import { $, element, endSession, say, session, showView } from "./page.js";
import { RoomConnection } from "./room.js";
import { mentioned, renderRooms, rooms, showRooms, whenChosen } from "./room_list.js";
import { forgetThreads, noteDeleted, noteReply, openThread, openThreadRoot, threadList, threadOf } from "./threads.js";
import { forgetUploads, takeUploaded, upload, uploadsFor, uploadsGoingUp } from "./uploads.js";

// { id, name, connection, firstSeq, readMark, dividerShown, readSent, readTimer, typists, live, owned }
let room = null;

// A typist is shown this many of the server's typing intervals (it relays one at most so often).
const TYPING_SHOWN_INTERVALS = 1.5;
let typingSentAt = 0;

export function leaveRoomView() {
  for (const clientId of [...unsent.keys()]) forgetUnsent(clientId);
  if (room) room.connection.close();
  forgetThreads();
  forgetUploads();
  room = null;
  session.openRoomId = null;
  $("#room").hidden = true;
  $("#chat-app").classList.remove("in-room");
}

let openings = 0; // the latest openRoom() call wins: a click while the address opens a room, say

export async function openRoom(summary) {
  const opening = ++openings;
  const addressBefore = location.hash;
  leaveRoomView();
  const joined = await api("POST", `/ws/rooms/${summary.id}/members`);
  if (opening !== openings) return;
  $("#room").hidden = false;
  $("#chat-app").classList.add("in-room"); // on a phone, the conversation alone
  $("#room-name").textContent = summary.name;
  $("#messages").replaceChildren();
  const owner = joined.owner_id === session.me.id;
  $("#invite").hidden = !(joined.private && owner);
  $("#rename").hidden = !owner || joined.kind === "dm";
  $("#delete-room").hidden = !owner || joined.kind === "dm";
  const connection = new RoomConnection(summary.id, {
    onEvent: (event) => {
      // A root from the history counts its replies up to the seq that history was read at.
      showEvent(event, $("#messages"), event.reply_count === undefined ? event.seq : connection.readThrough);
      scheduleRead();
    },
    onPresence: (clients) => {
      $("#online").replaceChildren(...clients.map((user) => element("li", user.username)));
      const listed = rooms.get(summary.id);
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
    onSessionEnded: endSession,
  });
  room = { id: summary.id, name: summary.name, connection, firstSeq: null, readMark: summary.last_read_seq || 0,
    dividerShown: false, readSent: summary.last_read_seq || 0, typists: new Map(), live: false, owned: owner };
  session.openRoomId = summary.id;
  uploadsFor(summary.id);
  $("#typing").textContent = "";
  await connection.open();
  if (opening !== openings) return;
  room.live = true; // from now on messages arrive in front of the person
  // Its address, unless the person moved (back, forward) while it opened: that move has the last word.
  const address = `#/rooms/${summary.id}`;
  if (location.hash !== address && location.hash === addressBefore) history.pushState(null, "", address);
  const listed = rooms.get(summary.id);
  if (listed) listed.unread = 0; // its badges go: it is being read
  mentioned.delete(summary.id);
  renderRooms();
  $("#older").hidden = !room.firstSeq || room.firstSeq <= 1;
}

whenChosen(openRoom);

export function openRoomById(roomId) {
  const listed = rooms.get(roomId);
  if (!listed) return;
  showView("chat-app");
  openRoom(listed).catch((error) => say(error.message));
}

// Out of the open room, to the list of rooms: an address with no room, for back and forward.
export async function backToRoomList() {
  leaveRoomView();
  history.pushState(null, "", location.pathname);
  await showRooms();
}

// Each room has its address, #/rooms/ID: kept on reload, and back and forward move between rooms.
const ROOM_ADDRESS = /^#\/rooms\/(\d+)$/;

export async function followLocation(listed) {
  const wanted = Number(ROOM_ADDRESS.exec(location.hash)?.[1]);
  if (!wanted) {
    if (room) leaveRoomView();
    return;
  }
  if (room && room.id === wanted) return;
  const summary = listed.find((r) => r.id === wanted);
  if (summary) await openRoom(summary);
  else say("That room is not one you can open.");
}

// What the event stream says of the open room: renamed, or no longer yours.
export function roomRenamed(summary) {
  if (!room || room.id !== summary.id) return;
  room.name = summary.name;
  $("#room-name").textContent = summary.name;
}

export function roomRemoved(roomId) {
  if (!room || room.id !== roomId) return;
  backToRoomList().catch(() => {});
  say("You are no longer in that room.");
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

// One's own messages: Edit in place, Delete after asking; the room's owner may delete anyone's.
const messageTools = {
  edit: startEditing,
  remove: (node) => {
    const whose = node.dataset.userId === String(session.me.id) ? "this message" : `${node.querySelector(".author").textContent}'s message`;
    if (confirm(`Delete ${whose}? Everyone in the room stops seeing it.`)) {
      room.connection.send({ type: "delete", id: Number(node.dataset.id) });
    }
  },
  react: (node, emoji, adding) => {
    if (!room.connection.send({ type: adding ? "react" : "unreact", id: Number(node.dataset.id), emoji })) {
      say("Not connected: try again in a moment.");
    }
  },
  get moderating() {
    return Boolean(room?.owned);
  },
  openThread: (node) => openThread(room.id, node, threadTools).catch((error) => say(error.message)),
};
// In the thread pane, the same tools but Reply: a thread's replies have no threads of their own.
const threadTools = Object.create(messageTools, { openThread: { value: null } });

// Editing keeps what was written, lines and markdown and all: Enter saves, Shift+Enter starts a new
// line, Escape cancels, as in the composer.
function startEditing(node) {
  const open = node.querySelector("form.edit");
  if (open) {
    open.querySelector("textarea").focus(); // already editing this one
    return;
  }
  const content = node.querySelector(".content");
  const form = element("form", undefined, "edit");
  const input = element("textarea");
  input.rows = Math.min(8, node.dataset.text.split("\n").length);
  input.value = node.dataset.text;
  input.setAttribute("aria-label", "New wording");
  limitLength(input, "ws", "message_length");
  const save = element("button", "Save");
  const cancel = element("button", "Cancel");
  cancel.type = "button";
  const stopEditing = () => form.replaceWith(content);
  cancel.addEventListener("click", stopEditing);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") stopEditing();
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
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

// readThrough: for a root message, the seq up to which its reply count is known.
function showEvent(event, list = $("#messages"), readThrough = event.seq) {
  const followingTheNewest = list.isConnected && atTheNewest(list);
  if (room && (room.firstSeq === null || event.seq < room.firstSeq)) room.firstSeq = event.seq;
  // The message where it is shown: in the flow, in the open thread, or both (the thread's root).
  const shown = () => [list, threadList(), $("#thread-root")]
    .map((where) => where?.querySelector(`[data-id="${event.id}"]`)).filter(Boolean);
  if (event.type === "message" && event.reply_to) {
    if (event.client_id) forgetUnsent(event.client_id);
    noteReply(event);
    if (room) forgetTypist(event.user.username);
  } else if (event.type === "message") {
    const pending = event.client_id && list.querySelector(`[data-client-id="${CSS.escape(event.client_id)}"]`);
    if (event.client_id) forgetUnsent(event.client_id);
    const node = messageNode(event, messageTools);
    node.thread.countedThrough = readThrough;
    if (pending) pending.replaceWith(node); // our own message, confirmed: shown once
    else list.append(node);
    if (room && list.id === "messages") markFirstUnread(event, node);
    if (room) forgetTypist(event.user.username);
  } else if (event.type === "message_edited") {
    for (const message of shown()) {
      if (message.querySelector(".content")) showEdited(message, event.content); // else being edited here
    }
  } else if (event.type === "message_deleted") {
    noteDeleted(event);
    shown().forEach((message) => message.remove());
  } else if (event.type === "reaction_added" || event.type === "reaction_removed") {
    for (const message of shown()) if (message.reactions) applyReaction(message, event);
  }
  arrangeDays(list);
  if (followingTheNewest) list.scrollTop = list.scrollHeight;
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

// A divider above the first message of someone else that was not read when the room was opened.
function markFirstUnread(event, node) {
  if (room.dividerShown || event.seq <= room.readMark || event.user.id === session.me.id) return;
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
  const { id, name } = room;
  const wanted = prompt("The room's new name", name)?.trim();
  if (!wanted || wanted === name) return;
  try {
    roomRenamed(await api("PATCH", `/ws/rooms/${id}`, { name: wanted }));
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

// On a phone, where the conversation takes the whole screen.
$("#back").addEventListener("click", () => backToRoomList().catch((error) => say(error.message)));

async function loadOlder() {
  const { events } = await api("GET", `/ws/rooms/${room.id}/messages?before=${room.firstSeq}&limit=100`);
  const older = document.createElement("ol"); // built apart, in seq order, then put on top
  events.forEach((event) => showEvent(event, older));
  const list = $("#messages");
  const fromBottom = list.scrollHeight - list.scrollTop; // what was in view stays in view
  list.prepend(...older.children);
  arrangeDays(list);
  list.scrollTop = list.scrollHeight - fromBottom;
  $("#older").hidden = events.length === 0 || room.firstSeq <= 1;
  return events.length > 0;
}

$("#older").addEventListener("click", () => loadOlder().catch((error) => say(error.message)));

// A search result: its room open at the message (older pages read until it is there), shown marked.
export async function openRoomAt(found) {
  showView("chat-app");
  if (!room || room.id !== found.room_id) await openRoom(rooms.get(found.room_id) || { id: found.room_id, name: found.room_name });
  while (room && room.firstSeq > found.seq && (await loadOlder()));
  let node = $("#messages").querySelector(`[data-id="${found.id}"]`);
  const rootId = threadOf(found.id);
  if (!node && rootId) { // a reply: its thread, opened at it
    const rootIn = () => $("#messages").querySelector(`li.message[data-id="${rootId}"]`);
    while (room && !rootIn() && (await loadOlder()));
    if (rootIn()) await openThread(room.id, rootIn(), threadTools);
    node = threadList()?.querySelector(`[data-id="${found.id}"]`);
  }
  if (!node) {
    say("That message is no longer there.");
    return;
  }
  document.querySelector(".message.found")?.classList.remove("found");
  node.classList.add("found");
  node.scrollIntoView({ block: "center" });
}

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

// The people a message may @-mention: those online in the room and those who wrote in what is shown.
const mentionCompletion = new MentionCompletion($("#composer").content, $("#completions"), () =>
  [...$("#online").children, ...$("#messages").querySelectorAll(".author")]
    .map((node) => node.textContent)
    .filter((name) => name !== session.me?.username && !name.startsWith("[")),
);

// Enter sends, Shift+Enter starts a new line (not while an input method is composing a word); Up,
// in an empty composer, edits your last message. While people to mention are offered, the keys are theirs.
$("#composer").content.addEventListener("keydown", (event) => {
  if (mentionCompletion.handleKey(event)) return;
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("#composer").requestSubmit();
  } else if (event.key === "ArrowUp" && !event.currentTarget.value) {
    const mine = [...$("#messages").querySelectorAll("li.message")]
      .filter((node) => node.querySelector('[data-action="Edit"]'));
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

// draft: { content, reply_to?, attachments? }, as the send frame carries them.
function sendMessage(draft, clientId, node) {
  const entry = { node, draft, timer: null };
  unsent.set(clientId, entry);
  node.classList.remove("failed");
  node.classList.add("pending");
  node.querySelector(".unsent")?.remove();
  if (!room.connection.send({ type: "send", client_id: clientId, ...draft })) {
    markUnsent(clientId, "Not connected.");
    return;
  }
  entry.timer = setTimeout(() => markUnsent(clientId, "No answer from the server."), SEND_ANSWER_MS);
}

function markUnsent(clientId, reason) {
  const entry = unsent.get(clientId);
  if (!entry) return;
  clearTimeout(entry.timer);
  const { node, draft } = entry;
  node.classList.remove("pending");
  node.classList.add("failed");
  node.querySelector(".unsent")?.remove();
  // The same client_id: if the first try was stored after all, the server answers with it, once.
  const retry = actionButton("Retry", () => sendMessage(draft, clientId, node));
  const discard = actionButton("Discard", () => {
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
  if (!room) return;
  if (uploadsGoingUp()) {
    say("Wait for the files to finish uploading.");
    return;
  }
  const attachments = takeUploaded();
  if (!content && !attachments.length) return;
  const clientId = newClientId();
  const node = messageNode({ id: "", user: session.me, content });
  node.dataset.clientId = clientId;
  $("#messages").append(node);
  node.scrollIntoView({ block: "end" });
  input.value = "";
  sendMessage({ content, attachments }, clientId, node);
});

// Files for the next message: the button's file chooser, a drop anywhere on the conversation, or a
// paste into the composer (a screenshot, say).
$("#attach").addEventListener("click", () => $("#attach-files").click());
$("#attach-files").addEventListener("change", (event) => {
  upload(event.currentTarget.files);
  event.currentTarget.value = ""; // the same file may be chosen again
});
$("#room").addEventListener("dragover", (event) => {
  if (!event.dataTransfer.types.includes("Files")) return;
  event.preventDefault(); // or the browser opens the file in place of the page
  $("#room").classList.add("dropping");
});
$("#room").addEventListener("dragleave", (event) => {
  if (!$("#room").contains(event.relatedTarget)) $("#room").classList.remove("dropping");
});
$("#room").addEventListener("drop", (event) => {
  $("#room").classList.remove("dropping");
  if (!event.dataTransfer.files.length) return;
  event.preventDefault();
  upload(event.dataTransfer.files);
});
$("#composer").content.addEventListener("paste", (event) => {
  if (!event.clipboardData.files.length) return; // text is pasted as text
  event.preventDefault();
  upload(event.clipboardData.files);
});

// The thread pane's own composer: a reply to the open thread, pending in the pane until stored.
$("#thread-composer").content.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("#thread-composer").requestSubmit();
  }
});

$("#thread-composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.currentTarget.content;
  const content = input.value.trim();
  const rootId = openThreadRoot();
  if (!room || !rootId || !content) return;
  const clientId = newClientId();
  const node = messageNode({ id: "", user: session.me, content });
  node.dataset.clientId = clientId;
  threadList().append(node);
  node.scrollIntoView({ block: "end" });
  input.value = "";
  sendMessage({ content, reply_to: rootId }, clientId, node);
});
