// Mentions: the newest messages that mention you, each opening its room at a click.
import { api } from "./api.js";
import { followLocation } from "./conversation.js";
import { showContent, timeNode } from "./message_view.js";
import { $, element, say, showView, whenShown } from "./page.js";
import { allRooms } from "./room_list.js";

whenShown("mentions-app", showMentions);

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
    const content = element("div", undefined, "content");
    showContent(content, mention.content);
    item.append(open, element("span", mention.user.username, "author"), timeNode(mention.created_at), content);
    return item;
  });
  $("#mentions").replaceChildren(...items);
  if (!items.length) $("#mentions").append(element("li", "No one has mentioned you yet.", "meta"));
}
