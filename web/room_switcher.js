// Ctrl+K (Cmd+K on a Mac): a dialog to go to any of your rooms by typing part of its name.
import { Listbox } from "./listbox.js";

const SHOWN = 10;

export class RoomSwitcher {
  constructor(dialog, field, list, rooms, open) {
    this.dialog = dialog;
    this.field = field;
    this.rooms = rooms; // () => the rooms of the room list
    this.listbox = new Listbox(field, list, (roomId) => {
      dialog.close();
      open(roomId);
    });
    field.addEventListener("input", () => this.offer());
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") return; // the dialog's own: it closes
      this.listbox.handleKey(event);
    });
    dialog.addEventListener("close", () => this.listbox.hide());
  }

  show() {
    this.field.value = "";
    this.dialog.showModal();
    this.offer();
  }

  offer() {
    const typed = this.field.value.trim().toLowerCase();
    const matching = this.rooms().filter((room) => room.name.toLowerCase().includes(typed));
    // Names that begin with what was typed first, then the rest, each in the list's order.
    const ranked = [
      ...matching.filter((room) => room.name.toLowerCase().startsWith(typed)),
      ...matching.filter((room) => !room.name.toLowerCase().startsWith(typed)),
    ].slice(0, SHOWN);
    this.listbox.show(ranked.map((room) => ({ label: room.name, value: room.id })));
  }
}
