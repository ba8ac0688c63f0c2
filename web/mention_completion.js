// @-completion in the composer: "@" and the start of a name offer the room's people whose names begin
// so, chosen with the arrows and Enter or Tab, or a click. The token is the server's mention: not
// inside a word or an address.
import { Listbox } from "./listbox.js";

const MENTION_BEFORE_CARET = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,32})$/;
const SHOWN = 8;

export class MentionCompletion {
  constructor(field, list, people) {
    this.field = field;
    this.people = people; // () => the usernames to offer
    this.listbox = new Listbox(field, list, (username) => this.complete(username));
    field.setAttribute("aria-autocomplete", "list");
    field.addEventListener("input", () => this.offer());
    field.addEventListener("blur", () => this.listbox.hide());
  }

  handleKey(event) {
    return this.listbox.handleKey(event);
  }

  offer() {
    const typed = this.typedName();
    if (typed === null) {
      this.listbox.hide();
      return;
    }
    const start = typed.toLowerCase();
    const names = [...new Set(this.people())]
      .filter((name) => name.toLowerCase().startsWith(start) && name.toLowerCase() !== start)
      .sort((a, b) => a.localeCompare(b))
      .slice(0, SHOWN);
    this.listbox.show(names.map((name) => ({ label: `@${name}`, value: name })));
  }

  typedName() {
    const { value, selectionStart, selectionEnd } = this.field;
    if (selectionStart !== selectionEnd) return null;
    const match = MENTION_BEFORE_CARET.exec(value.slice(0, selectionStart));
    return match ? match[1] : null;
  }

  complete(username) {
    const { value, selectionStart } = this.field;
    const typed = this.typedName() ?? "";
    const start = selectionStart - typed.length - 1; // the "@"
    const inserted = `@${username} `;
    this.field.value = value.slice(0, start) + inserted + value.slice(selectionStart);
    this.field.setSelectionRange(start + inserted.length, start + inserted.length);
    this.listbox.hide();
  }
}
