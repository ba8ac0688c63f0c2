// A message as the page shows it: author, avatar, time, text with its links, and the day separators
// and grouping of a list of them. Never HTML from a message: text nodes and anchors only.
import { element, session } from "./page.js";

// The server's rule for a mention: @name, not inside a word or an address, a final "." ending the
// sentence; so @alicesmith does not mention alice.
const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

function mentionsMe(content) {
  if (!session.me || !content) return false;
  const mine = session.me.username.toLowerCase();
  return [...content.matchAll(MENTION)].some((match) => match[1].replace(/\.+$/, "").toLowerCase() === mine);
}

// A small, safe markdown: ```fenced code```, > quotes, `code`, **bold**, *italics* or _italics_, and
// http(s) addresses as links. Built as elements and text nodes: what a message says is never parsed as
// HTML, so <b> or <img onerror> in one shows as those characters.
const FENCE = /^```/;
const QUOTED = /^>\s?/;
const INLINE = new RegExp([
  "`([^`\\n]+)`", // code: nothing inside it is formatted
  "\\*\\*(?=\\S)([^*]*?\\S)\\*\\*", // bold
  "(?<![\\w*])\\*(?=\\S)([^*\\n]*?\\S)\\*(?![\\w*])", // italics
  "(?<![\\w_])_(?=\\S)([^_\\n]*?\\S)_(?![\\w_])", // italics, not inside snake_case words
  "\\bhttps?:\\/\\/[^\\s<>\"]+", // a link; what ends a sentence after one is not part of it
].join("|"), "g");

export function showContent(node, text) {
  node.replaceChildren(...blocks(text));
}

function blocks(text) {
  const shown = [];
  const lines = text.split("\n");
  let paragraph = [];
  const endParagraph = () => {
    if (paragraph.length) shown.push(...inline(paragraph.join("\n")));
    paragraph = [];
  };
  for (let i = 0; i < lines.length;) {
    if (FENCE.test(lines[i])) {
      endParagraph();
      const code = [];
      for (i += 1; i < lines.length && !FENCE.test(lines[i]); i += 1) code.push(lines[i]);
      i += 1; // the closing fence, if any
      const block = element("pre");
      block.append(element("code", code.join("\n")));
      shown.push(block);
    } else if (QUOTED.test(lines[i])) {
      endParagraph();
      const quoted = [];
      for (; i < lines.length && QUOTED.test(lines[i]); i += 1) quoted.push(lines[i].replace(QUOTED, ""));
      const quote = element("blockquote");
      quote.append(...inline(quoted.join("\n")));
      shown.push(quote);
    } else {
      paragraph.push(lines[i]);
      i += 1;
    }
  }
  endParagraph();
  return shown;
}

function inline(text) {
  const parts = [];
  let shown = 0;
  for (const match of text.matchAll(INLINE)) {
    const [whole, code, bold, starred, underlined] = match;
    let node;
    let end = match.index + whole.length;
    if (code !== undefined) {
      node = element("code", code);
    } else if (bold !== undefined) {
      node = element("strong");
      node.append(...inline(bold));
    } else if (starred !== undefined || underlined !== undefined) {
      node = element("em");
      node.append(...inline(starred ?? underlined));
    } else {
      const address = whole.replace(/[.,;:!?)\]}'"]+$/, "");
      node = element("a", address); // the scheme is http(s) by the pattern
      node.href = address;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
      end = match.index + address.length;
    }
    parts.push(text.slice(shown, match.index), node);
    shown = end;
  }
  parts.push(text.slice(shown));
  return parts;
}

// Initials on a colour of the person's own (from their id: the same everywhere, no outside service).
function avatar(user) {
  const node = element("span", user.username.replace(/[^A-Za-z0-9]/g, "").slice(0, 2).toUpperCase(), "avatar");
  node.style.backgroundColor = `hsl(${((user.id ?? 0) * 137) % 360} 55% 42%)`;
  node.setAttribute("aria-hidden", "true");
  return node;
}

export function timeNode(createdAt) {
  const when = new Date(createdAt);
  const node = element("time", when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), "when");
  node.dateTime = createdAt;
  node.title = when.toLocaleString();
  return node;
}

// tools: { edit(node), remove(node), react(node, emoji, adding), moderating, openThread(node)? }: one's
// own stored messages get Edit and Delete; with `moderating` (the room's owner), everyone else's get
// Delete; every stored message gets its reactions and a way to add one; with `openThread`, a message
// that is no reply gets Reply, and says how many replies it has.
export function messageNode(event, tools) {
  const node = element("li", undefined, "message");
  if (mentionsMe(event.content)) node.classList.add("mention");
  node.dataset.id = event.id;
  node.dataset.userId = event.user.id ?? "";
  node.dataset.createdAt = event.created_at || new Date().toISOString(); // not stored yet: now
  node.dataset.text = event.content; // as written, markdown and all: what an edit starts from
  const content = element("div", undefined, "content");
  showContent(content, event.content);
  const head = element("span", undefined, "head");
  head.append(element("span", event.user.username, "author"), timeNode(node.dataset.createdAt));
  node.append(avatar(event.user), head, content);
  if (event.attachments?.length) node.append(filesNode(event.attachments));
  const own = session.me && event.user.id === session.me.id;
  if (event.id && tools) {
    node.reactions = new Map((event.reactions || []).map((r) => [r.emoji, { count: r.count, users: new Set(r.user_ids) }]));
    const line = reactionsNode(node, tools);
    const buttons = element("span", undefined, "tools");
    const offered = line.querySelector(".offered");
    buttons.append(actionButton("React", () => { offered.hidden = !offered.hidden; }));
    const threaded = tools.openThread && !event.reply_to;
    if (threaded) buttons.append(actionButton("Reply", () => tools.openThread(node)));
    if (own) buttons.append(actionButton("Edit", () => tools.edit(node)));
    if (own || tools.moderating) buttons.append(actionButton("Delete", () => tools.remove(node)));
    node.append(buttons, line);
    if (threaded) {
      // What the history counted, up to the seq it was read at (the caller sets it): replies after it add.
      node.thread = { count: event.reply_count ?? 0, lastAt: event.last_reply_at, countedThrough: event.seq };
      const summary = element("button", undefined, "thread-summary");
      summary.type = "button";
      summary.addEventListener("click", () => tools.openThread(node));
      node.append(summary);
      showThreadSummary(node);
    }
  }
  nameActions(node);
  return node;
}

// Images the server decoded show as thumbnails that open full size; any other file is a link that
// downloads it (the server serves those as downloads too).
const SHOWN_IMAGE_PX = 240;

function filesNode(files) {
  const list = element("div", undefined, "files");
  for (const file of files) {
    const link = element("a");
    link.href = file.url;
    if (file.width) {
      link.className = "image";
      link.target = "_blank";
      link.rel = "noopener";
      const image = element("img");
      image.src = `${file.url}?thumb=1`;
      image.alt = file.name;
      image.loading = "lazy";
      // Its size before it loads: what is below it does not jump, and the newest stays in view.
      const scale = Math.min(1, SHOWN_IMAGE_PX / file.width, SHOWN_IMAGE_PX / file.height);
      image.width = Math.max(1, Math.round(file.width * scale));
      image.height = Math.max(1, Math.round(file.height * scale));
      link.append(image);
    } else {
      link.className = "file";
      link.download = file.name;
      link.append(element("span", file.name, "name"), element("span", sizeText(file.size), "size"));
    }
    list.append(link);
  }
  return list;
}

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// The emoji offered at a click on "React"; any other one can be sent over the socket or HTTP.
const OFFERED = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

function reactionsNode(node, tools) {
  const line = element("div", undefined, "reactions");
  const offer = element("span", undefined, "offered");
  offer.hidden = true;
  for (const emoji of OFFERED) {
    const choice = element("button", emoji, "offer");
    choice.type = "button";
    choice.setAttribute("aria-label", `React with ${emoji}`);
    choice.addEventListener("click", () => {
      offer.hidden = true;
      tools.react(node, emoji, !node.reactions.get(emoji)?.users.has(session.me.id));
    });
    offer.append(choice);
  }
  line.append(element("span", undefined, "chips"), offer);
  line.addEventListener("react", (event) => tools.react(node, event.detail.emoji, event.detail.adding));
  showReactions(node, line);
  return line;
}

// reaction_added or reaction_removed, applied to the message's reactions: by who, so that an event
// the history already counted changes nothing.
export function applyReaction(node, event) {
  const entry = node.reactions.get(event.emoji) ?? { count: 0, users: new Set() };
  const had = entry.users.has(event.user.id);
  if (event.type === "reaction_added" && !had) {
    entry.users.add(event.user.id);
    entry.count += 1;
  } else if (event.type === "reaction_removed" && had) {
    entry.users.delete(event.user.id);
    entry.count -= 1;
  }
  if (entry.count > 0) node.reactions.set(event.emoji, entry);
  else node.reactions.delete(event.emoji);
  showReactions(node, node.querySelector(".reactions"));
}

function showReactions(node, line) {
  const chips = [...node.reactions].map(([emoji, { count, users }]) => {
    const mine = users.has(session.me?.id);
    const chip = element("button", `${emoji} ${count}`, "chip");
    chip.type = "button";
    chip.setAttribute("aria-pressed", String(mine));
    chip.setAttribute("aria-label", `${emoji} ${count}${mine ? ", yours" : ""}`);
    chip.addEventListener("click", () => line.dispatchEvent(new CustomEvent("react", { detail: { emoji, adding: !mine } })));
    return chip;
  });
  line.querySelector(".chips").replaceChildren(...chips);
}

// "3 replies", under a message that has any; its title says when the last came.
export function showThreadSummary(node) {
  const summary = node.querySelector(".thread-summary");
  const { count, lastAt } = node.thread;
  summary.hidden = count <= 0;
  summary.textContent = count === 1 ? "1 reply" : `${count} replies`;
  summary.title = lastAt ? `Last reply ${new Date(lastAt).toLocaleString()}` : "";
}

export function actionButton(action, onClick) {
  const button = element("button", action);
  button.dataset.action = action;
  button.type = "button";
  button.addEventListener("click", onClick);
  return button;
}

// A message's buttons say which message they act on ("Edit “see you at five”"): a screen reader
// lists every message's Edit, and "Edit" alone would not tell them apart.
export function nameActions(node) {
  const text = node.querySelector(".content")?.textContent ?? "";
  const preview = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  for (const button of node.querySelectorAll("button[data-action]")) {
    button.setAttribute("aria-label", `${button.dataset.action} “${preview}”`);
  }
}

export function showEdited(message, content) {
  message.dataset.text = content;
  showContent(message.querySelector(".content"), content);
  nameActions(message);
  if (!message.querySelector(".edited")) message.querySelector(".head").append(element("span", "(edited)", "edited"));
}

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

export function arrangeDays(list) {
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
