// People: search, a person's profile (follow, message, block), your feed and posts, and your settings.
import { api } from "./api.js";
import { openRoom } from "./conversation.js";
import { $, element, say, session, showView, whenShown } from "./page.js";
import { showRooms } from "./room_list.js";

whenShown("people-app", () => Promise.all([showFeed(), showSettings()]));

function postNode(post) {
  const node = element("li", undefined, "post");
  node.append(element("span", post.username, "author"), element("span", post.content, "content"));
  return node;
}

async function showFeed() {
  // Those you follow, and you: your own posts belong in your feed too. Post ids rise with time.
  const [{ posts: theirs }, { posts: yours }] = await Promise.all([
    api("GET", "/users/feed?limit=50"), api("GET", `/users/${session.me.id}/posts?limit=50`)]);
  const posts = [...theirs, ...yours].sort((a, b) => b.id - a.id).slice(0, 50);
  $("#feed").replaceChildren(...posts.map(postNode));
}

// Whether I follow `userId`: every page of whom I follow, not the first page of their followers.
async function doIFollow(userId) {
  let after = 0;
  for (;;) {
    const page = await api("GET", `/users/${session.me.id}/following?after_id=${after}&limit=100`);
    if (page.users.some((user) => user.id === userId)) return true;
    if (page.next_after_id === null) return false;
    after = page.next_after_id;
  }
}

// Each profile has its address, #/people/ID, as each room has its own.
const PROFILE_ADDRESS = /^#\/people\/(\d+)$/;

export function profileAddressed() {
  return Number(PROFILE_ADDRESS.exec(location.hash)?.[1]) || null;
}

export async function showProfile(userId) {
  if (location.hash !== `#/people/${userId}`) history.pushState(null, "", `#/people/${userId}`);
  const [profile, { posts }] = await Promise.all([
    api("GET", `/users/${userId}`), api("GET", `/users/${userId}/posts?limit=20`)]);
  const following = await doIFollow(userId);
  const itsMe = profile.id === session.me.id;
  $("#profile").hidden = false;
  $("#profile-name").textContent = profile.username;
  const followers = `${profile.followers} ${profile.followers === 1 ? "follower" : "followers"}`;
  $("#profile-counts").textContent = `${followers} · ${profile.following} following`;
  const button = $("#follow");
  button.hidden = itsMe;
  $("#message-them").hidden = itsMe;
  $("#message-them").onclick = () => messagePerson(profile).catch((error) => say(error.message));
  const { blocked } = await api("GET", "/users/me/settings");
  const blocking = blocked.some((user) => user.id === profile.id);
  const block = $("#block");
  block.hidden = itsMe;
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
  const listed = await showRooms();
  await openRoom(listed.find((r) => r.id === dm.id) || dm);
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
