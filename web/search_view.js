// Search: the messages you may read, by words, "phrases" and -exclusions, newest first, the words
// found marked; a result opens its room at the message.
import { api } from "./api.js";
import { openRoomAt } from "./conversation.js";
import { timeNode } from "./message_view.js";
import { $, element, say, whenShown } from "./page.js";

whenShown("search-app", async () => $("#message-search").q.focus());

let searched = null; // { q, nextBefore }: what the results show, for "More results"

$("#message-search").addEventListener("submit", (event) => {
  event.preventDefault();
  searched = { q: event.currentTarget.q.value.trim(), nextBefore: null };
  $("#found").replaceChildren();
  find().catch((error) => say(error.message));
});

$("#more-found").addEventListener("click", () => find().catch((error) => say(error.message)));

async function find() {
  const before = searched.nextBefore ? `&before_id=${searched.nextBefore}` : "";
  const { results, next_before_id: nextBefore } = await api("GET", `/ws/search?q=${encodeURIComponent(searched.q)}${before}`);
  searched.nextBefore = nextBefore;
  $("#found").append(...results.map(resultNode));
  $("#more-found").hidden = nextBefore === null;
  if (!$("#found").children.length) $("#found").append(element("li", "Nothing found.", "meta"));
}

function resultNode(found) {
  const item = element("li", undefined, "mention-item");
  const open = element("button", found.room_name, "room-link");
  open.type = "button";
  open.addEventListener("click", () => openRoomAt(found).catch((error) => say(error.message)));
  item.append(open, element("span", found.user.username, "author"), timeNode(found.created_at),
    marked(found.content, found.highlights));
  return item;
}

// The content with its matches in <mark>: offsets count code points, as the server does, and text is
// only ever text.
function marked(content, ranges) {
  const characters = Array.from(content);
  const node = element("div", undefined, "content");
  let shown = 0;
  for (const [start, end] of ranges) {
    node.append(characters.slice(shown, start).join(""), element("mark", characters.slice(start, end).join("")));
    shown = end;
  }
  node.append(characters.slice(shown).join(""));
  return node;
}
