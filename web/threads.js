// Threads: a message's replies, kept out of the room's flow. In the flow a message says how many
// replies it has ("3 replies") and opens its thread; the thread pane lists them, live, above a
// composer of its own. Replies are the room's events like any other, on the same socket.
import { api } from "./api.js";
import { messageNode, showThreadSummary } from "./message_view.js";
import { $ } from "./page.js";

// Which thread each reply seen belongs to (reply id -> root id): a reply deleted later counts down.
const rootOf = new Map();
// The open thread: { rootId, tools }, or null.
let open = null;

export function threadList() {
  return open ? $("#thread-messages") : null;
}

// The root of the thread a reply seen belongs to (undefined for anything else).
export function threadOf(messageId) {
  return rootOf.get(messageId);
}

export function openThreadRoot() {
  return open?.rootId ?? null;
}

// A stored reply, from the history or live: its thread's count in the flow, and the pane if it is open.
export function noteReply(event) {
  rootOf.set(event.id, event.reply_to);
  const root = rootNode(event.reply_to);
  if (root?.thread && event.seq > root.thread.countedThrough) {
    root.thread.count += 1;
    root.thread.lastAt = event.created_at;
    showThreadSummary(root);
  }
  if (open?.rootId !== event.reply_to) return;
  const list = $("#thread-messages");
  const pending = event.client_id && list.querySelector(`[data-client-id="${CSS.escape(event.client_id)}"]`);
  const node = messageNode(event, open.tools);
  if (pending) pending.replaceWith(node);
  else if (!list.querySelector(`[data-id="${event.id}"]`)) placeInOrder(list, node);
}

export function noteDeleted(event) {
  const root = rootNode(rootOf.get(event.id));
  if (root?.thread && event.seq > root.thread.countedThrough) {
    root.thread.count -= 1;
    showThreadSummary(root);
  }
}

function rootNode(rootId) {
  return rootId ? $("#messages").querySelector(`li.message[data-id="${rootId}"]`) : null;
}

// By id: replies read page by page and replies arriving live meet in one order. Ones not yet stored
// (no id) stay last.
function placeInOrder(list, node) {
  const id = Number(node.dataset.id);
  const after = [...list.children].find((other) => !other.dataset.id || Number(other.dataset.id) > id);
  list.insertBefore(node, after ?? null);
}

// The pane: the root as it reads now, then every reply, oldest first; the reply box takes the focus.
export async function openThread(roomId, root, tools) {
  const rootId = Number(root.dataset.id);
  open = { rootId, tools };
  $("#room").classList.add("threaded");
  $("#thread").hidden = false;
  const shownRoot = messageNode({
    id: rootId,
    user: { id: Number(root.dataset.userId) || null, username: root.querySelector(".author").textContent },
    content: root.dataset.text,
    created_at: root.dataset.createdAt,
  });
  $("#thread-root").replaceChildren(shownRoot);
  const list = $("#thread-messages");
  list.replaceChildren();
  $("#thread-composer").content.focus();
  let after = 0;
  do {
    const page = await api("GET", `/ws/rooms/${roomId}/messages/${rootId}/replies?after_id=${after}&limit=100`);
    if (open?.rootId !== rootId) return; // closed, or another thread opened meanwhile
    for (const reply of page.replies) {
      rootOf.set(reply.id, rootId);
      if (!list.querySelector(`[data-id="${reply.id}"]`)) placeInOrder(list, messageNode(reply, tools));
    }
    after = page.next_after_id;
  } while (after);
}

// Leaving the room: no thread open, and nothing kept of its replies.
export function forgetThreads() {
  closeThread();
  rootOf.clear();
}

function closeThread() {
  open = null;
  $("#room").classList.remove("threaded");
  $("#thread").hidden = true;
  $("#thread-messages").replaceChildren();
  $("#thread-root").replaceChildren();
}

$("#close-thread").addEventListener("click", closeThread);
