// Talking to the services. The session is the HttpOnly cookie login sets: no token here.
const MESSAGES = {
  username_taken: "That username is taken. Try another.",
  invalid_credentials: "Wrong username or password.",
  room_name_taken: "A room with that name exists already.",
  rate_limited: "You are sending too fast. Wait a moment.",
  too_long: "That is too long.",
  token_revoked: "You were logged out. Log in again.",
  dms_refused: "This person takes messages only from people they follow.",
  blocked: "One of you has blocked the other: you cannot message each other.",
  token_expired: "Your session has expired. Log in again.",
};

export class ApiError extends Error {
  constructor(code, message, status) {
    super(MESSAGES[code] || message);
    this.code = code;
    this.status = status;
  }
}

// A send's client_id. Not crypto.randomUUID: it exists only in secure contexts (https, localhost),
// and a server reached over a LAN as http://server:8080 is neither.
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function plainWords(code, message) {
  return MESSAGES[code] || message;
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || { code: "unknown", message: `The server answered ${response.status}.` };
    throw new ApiError(error.code, error.message, response.status);
  }
  return data;
}
