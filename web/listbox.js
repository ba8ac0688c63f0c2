// A list of choices driven from a text field (the ARIA combobox pattern): the field keeps the focus,
// the arrows move the choice, and the field names the chosen option (aria-activedescendant).
let made = 0;

export class Listbox {
  constructor(field, list, onChoose) {
    this.field = field;
    this.list = list;
    this.onChoose = onChoose; // (value) when a choice is taken
    this.values = [];
    this.index = -1;
    field.setAttribute("aria-controls", list.id);
    field.setAttribute("aria-expanded", "false");
    // A click takes its option without the field losing the focus first.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.onChoose(this.values[Number(option.dataset.index)]);
    });
  }

  get open() {
    return !this.list.hidden;
  }

  show(choices) {
    // choices: [{ label, value }]; none closes it.
    if (!choices.length) {
      this.hide();
      return;
    }
    this.values = choices.map((choice) => choice.value);
    this.list.replaceChildren(...choices.map((choice, index) => {
      const option = document.createElement("li");
      option.id = `choice-${++made}`;
      option.setAttribute("role", "option");
      option.dataset.index = String(index);
      option.textContent = choice.label; // text, never HTML
      return option;
    }));
    this.list.hidden = false;
    this.field.setAttribute("aria-expanded", "true");
    this.select(0);
  }

  hide() {
    this.list.hidden = true;
    this.list.replaceChildren();
    this.values = [];
    this.index = -1;
    this.field.setAttribute("aria-expanded", "false");
    this.field.removeAttribute("aria-activedescendant");
  }

  select(index) {
    const options = [...this.list.children];
    this.index = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === this.index)));
    this.field.setAttribute("aria-activedescendant", options[this.index].id);
    options[this.index].scrollIntoView({ block: "nearest" });
  }

  // The keys of an open list: true if the key was its own.
  handleKey(event) {
    if (!this.open) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      this.select(this.index + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.onChoose(this.values[this.index]);
    } else if (event.key === "Escape") {
      this.hide();
    } else {
      return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }
}
