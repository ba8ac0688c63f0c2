// Parley's web client. The session lives in the HttpOnly cookie that login sets: this page never
// sees or stores the token.
const $ = (selector) => document.querySelector(selector);

const MESSAGES = {
  username_taken: "That username is taken. Try another.",
  invalid_credentials: "Wrong username or password.",
};

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || { code: "unknown", message: `The server answered ${response.status}.` };
    throw Object.assign(new Error(MESSAGES[error.code] || error.message), { code: error.code, status: response.status });
  }
  return data;
}

function say(text, isError = false) {
  $("#status").textContent = text;
  $("#status").classList.toggle("error", isError);
}

function show(user) {
  $("#account").hidden = Boolean(user);
  $("#session").hidden = !user;
  $("#who").textContent = user ? `Logged in as ${user.username}` : "";
}

async function refresh() {
  try {
    show(await api("GET", "/auth/me"));
  } catch (error) {
    show(null);
    if (error.status !== 401) say(error.message, true);
  }
}

$("#account").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const credentials = { username: form.username.value, password: form.password.value };
  try {
    if (event.submitter.value === "register") {
      await api("POST", "/auth/register", credentials);
    }
    await api("POST", "/auth/login", credentials);
    form.password.value = "";
    say("");
    await refresh();
  } catch (error) {
    say(error.message, true);
  }
});

$("#logout").addEventListener("click", async () => {
  try {
    await api("POST", "/auth/logout");
    say("You are logged out.");
  } catch (error) {
    say(error.message, true);
  }
  await refresh();
});

refresh();
