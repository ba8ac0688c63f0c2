// Parley's web client. This module is the account: logging in and out, deleting it, and what follows
// a session's start and end. The views are modules of their own: the room list (room_list.js), the
// open room (conversation.js), people (people_view.js), mentions (mentions_view.js) and search
// (search_view.js); the user's event stream (user_events.js) keeps the room list current.
import { api, plainWords } from "./api.js";
import { followLocation, leaveRoomView, openRoom, openRoomById, roomRemoved, roomRenamed } from "./conversation.js";
import { readLimits } from "./limits.js";
import "./mentions_view.js";
import { askForNotifications, notifyActivity, notifyNewDirectRoom, offerNotifications } from "./notifications.js";
import { $, say, session, showView, whenSessionEnds } from "./page.js";
import { profileAddressed, showProfile } from "./people_view.js";
import { allRooms, applyStreamFrame, forgetRooms, renderRooms, rooms, showRooms } from "./room_list.js";
import { RoomSwitcher } from "./room_switcher.js";
import "./search_view.js";
import { UserEvents } from "./user_events.js";

let userEvents = null; // the user's own event stream, while logged in

async function showSession() {
  try {
    session.me = await api("GET", "/auth/me");
  } catch (error) {
    session.me = null;
    if (error.status !== 401) say(error.message);
  }
  const { me } = session;
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
      onSessionEnded: endedElsewhere,
    });
    userEvents.connect();
    await followAddress(await showRooms());
  } else {
    leaveRoomView();
    forgetRooms();
  }
}

// The address says what to show: a room (#/rooms/ID), a profile (#/people/ID), or the room list.
async function followAddress(listed) {
  const person = profileAddressed();
  if (person === null) {
    await followLocation(listed);
    return;
  }
  leaveRoomView();
  showView("people-app");
  await showProfile(person);
}

window.addEventListener("popstate", () => {
  if (session.me) allRooms().then(followAddress).catch((error) => say(error.message));
});

async function endedElsewhere(frame) {
  await showSession();
  say(plainWords(frame.code, frame.message));
}

whenSessionEnds(endedElsewhere);

// What the event stream says, applied to the room list (and the open room) at once.
function onUserEvent(frame) {
  const { me } = session;
  if (frame.type === "activity") {
    const listed = rooms.get(frame.room_id);
    if (listed) notifyActivity(frame, listed, me, openRoomById).catch(() => {});
  } else if (frame.type === "room_added") {
    notifyNewDirectRoom(frame.room, me, openRoomById).catch(() => {});
  } else if (frame.type !== "room_updated" && frame.type !== "room_removed") {
    return;
  }
  applyStreamFrame(frame);
  if (frame.room) roomRenamed(frame.room);
  if (frame.type === "room_removed") {
    roomRemoved(frame.room_id);
    showRooms().catch(() => {}); // a public room you left is still there to join
  }
  renderRooms();
}

for (const button of document.querySelectorAll("#views button")) {
  button.addEventListener("click", () => {
    // Away from a profile: its address goes with it, so that a reload shows this view.
    if (profileAddressed() !== null) history.pushState(null, "", location.pathname);
    showView(button.dataset.view);
  });
}

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
    history.replaceState(null, "", location.pathname); // the next person starts from no room
    say("You are logged out.");
  } catch (error) {
    say(error.message);
  }
  await showSession();
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

$("#notify").addEventListener("click", () => askForNotifications($("#notify")));

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

// Ctrl+K (Cmd+K), or the button: go to any of your rooms by part of its name.
const roomSwitcher = new RoomSwitcher($("#switcher"), $("#switcher-input"), $("#switcher-list"),
  () => [...rooms.values()], openRoomById);
$("#go-to-room").addEventListener("click", () => roomSwitcher.show());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k" && session.me) {
    event.preventDefault();
    roomSwitcher.show();
  }
});

readLimits();
showSession();
