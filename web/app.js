// Parley's web client: account, rooms, and the conversation of the open room.
import { api, plainWords } from "./api.js";
import { RoomConnection } from "./room.js";

const $ = (selector) => document.querySelector(selector);
let me = null;
let room = null; // { id, name, connection }

function say(text) {
  $("#status").textContent = text;
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
  $("#who").textContent = me ? `Logged in as ${me.username}` : "";
  if (me) await showRooms();
  else leaveRoomView();
}

async function showRooms() {
  const { rooms } = await api("GET", "/ws/getRooms");
  const list = $("#room-list");
  list.replaceChildren(...rooms.map((r) => {
    const item = element("li");
    const open = element("button", r.name, "room-link");
    open.type = "button";
    open.addEventListener("click", () => openRoom(r).catch((error) => say(error.message)));
    item.append(open, element("span", `${r.members} members · ${r.online} online${r.private ? " · private" : ""}`, "meta"));
    return item;
  }));
}

function leaveRoomView() {
  if (room) room.connection.close();
  room = null;
  $("#room").hidden = true;
}

async function openRoom(summary) {
  leaveRoomView();
  const joined = await api("POST", `/ws/rooms/${summary.id}/members`);
  $("#room").hidden = false;
  $("#room-name").textContent = summary.name;
  $("#messages").replaceChildren();
  $("#invite").hidden = !(joined.private && joined.owner_id === me.id);
  const connection = new RoomConnection(summary.id, {
    onEvent: showEvent,
    onPresence: (clients) => $("#online").replaceChildren(...clients.map((user) => element("li", user.username))),
    onState: (text) => { $("#connection").textContent = text; },
    onError: (frame) => say(plainWords(frame.code, frame.message)),
    onSessionEnded: async (frame) => {
      await showSession();
      say(plainWords(frame.code, frame.message));
    },
  });
  room = { id: summary.id, name: summary.name, connection, firstSeq: null };
  await connection.open();
  $("#older").hidden = !room.firstSeq || room.firstSeq <= 1;
}

function messageNode(event) {
  const node = element("li", undefined, "message");
  node.dataset.id = event.id;
  node.append(element("span", event.user.username, "author"), element("span", event.content, "content"));
  if (me && event.user.id === me.id && event.id) {
    const tools = element("span", undefined, "tools");
    const edit = element("button", "Edit");
    edit.type = "button";
    edit.addEventListener("click", () => startEditing(node));
    const remove = element("button", "Delete");
    remove.type = "button";
    remove.addEventListener("click", () => room.connection.send({ type: "delete", id: Number(node.dataset.id) }));
    tools.append(edit, remove);
    node.append(tools);
  }
  return node;
}

function startEditing(node) {
  const content = node.querySelector(".content");
  const form = element("form", undefined, "edit");
  const input = element("input");
  input.value = content.textContent;
  input.setAttribute("aria-label", "New wording");
  const save = element("button", "Save");
  form.append(input, save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text) room.connection.send({ type: "edit", id: Number(node.dataset.id), content: text });
    form.replaceWith(content);
  });
  content.replaceWith(form);
  input.focus();
}

function showEvent(event, list = $("#messages")) {
  if (room && (room.firstSeq === null || event.seq < room.firstSeq)) room.firstSeq = event.seq;
  if (event.type === "message") {
    const pending = event.client_id && list.querySelector(`[data-client-id="${CSS.escape(event.client_id)}"]`);
    const node = messageNode(event);
    if (pending) pending.replaceWith(node); // our own message, confirmed: shown once
    else list.append(node);
  } else if (event.type === "message_edited") {
    const node = list.querySelector(`[data-id="${event.id}"] .content`);
    if (node) node.textContent = event.content;
  } else if (event.type === "message_deleted") {
    list.querySelector(`[data-id="${event.id}"]`)?.remove();
  }
  if (list.isConnected) list.lastElementChild?.scrollIntoView({ block: "end" });
}

$("#leave").addEventListener("click", async () => {
  try {
    await api("DELETE", `/ws/rooms/${room.id}/members/me`);
    say(`You left ${room.name}.`);
    leaveRoomView();
    await showRooms();
  } catch (error) {
    say(error.message);
  }
});

$("#older").addEventListener("click", async () => {
  const { events } = await api("GET", `/ws/rooms/${room.id}/messages?before=${room.firstSeq}&limit=100`);
  const older = document.createElement("ol"); // built apart, in seq order, then put on top
  events.forEach((event) => showEvent(event, older));
  $("#messages").prepend(...older.children);
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
  if (id === "people-app") showFeed().catch((error) => say(error.message));
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
  const { posts } = await api("GET", "/users/feed?limit=50");
  $("#feed").replaceChildren(...posts.map(postNode));
}

async function showProfile(userId) {
  const [profile, { posts }] = await Promise.all([
    api("GET", `/users/${userId}`), api("GET", `/users/${userId}/posts?limit=20`)]);
  const { users: followers } = await api("GET", `/users/${userId}/followers?limit=100`);
  const following = followers.some((user) => user.id === me.id);
  $("#profile").hidden = false;
  $("#profile-name").textContent = profile.username;
  $("#profile-counts").textContent = `${profile.followers} followers · ${profile.following} following`;
  const button = $("#follow");
  button.hidden = profile.id === me.id;
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

$("#logout").addEventListener("click", async () => {
  try {
    await api("POST", "/auth/logout");
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

$("#composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.currentTarget.content;
  const content = input.value.trim();
  if (!room || !content) return;
  const clientId = crypto.randomUUID();
  if (!room.connection.send({ type: "send", content, client_id: clientId })) {
    say("Not connected: your message was not sent. It will work again once reconnected.");
    return;
  }
  const pending = messageNode({ id: "", user: me, content });
  pending.dataset.clientId = clientId;
  pending.classList.add("pending");
  $("#messages").append(pending);
  input.value = "";
});

showSession();
