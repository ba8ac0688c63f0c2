// The limits the services enforce, read from them (GET /auth/limits, /users/limits, /ws/limits) and
// put on the page's fields, so that the page lets through what the server takes and no more.
import { api } from "./api.js";

export const limits = { auth: {}, users: {}, ws: {} };

// field (a CSS selector) -> [service, the length limit's name]
const FIELDS = {
  "#account [name=username]": ["auth", "username_length"],
  "#account [name=password]": ["auth", "password_length"],
  "#search [name=q]": ["users", "username_length"],
  "#new-post [name=content]": ["users", "post_length"],
  "#new-room [name=name]": ["ws", "room_name_length"],
  "#switcher-input": ["ws", "room_name_length"],
  "#composer [name=content]": ["ws", "message_length"],
  "#invite [name=username]": ["users", "username_length"],
};

export async function readLimits() {
  const services = Object.keys(limits);
  const read = await Promise.all(services.map((service) => api("GET", `/${service}/limits`).catch(() => ({}))));
  services.forEach((service, i) => Object.assign(limits[service], read[i]));
  for (const [selector, [service, name]] of Object.entries(FIELDS)) limitLength(document.querySelector(selector), service, name);
}

// A field's length as the service allows it (the field asks for text: a minimum of 1 is `required`'s).
export function limitLength(field, service, name) {
  const length = limits[service][name];
  if (!length) return;
  field.maxLength = length.max;
  if (length.min > 1) field.minLength = length.min;
}

// How often the server relays one's typing (seconds); before the limits are read, as often as asked.
export function typingInterval() {
  return limits.ws.typing_interval_seconds ?? 0;
}
