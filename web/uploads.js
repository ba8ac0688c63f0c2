// Files for the next message: chosen with "Attach files", dropped on the conversation or pasted into
// the composer. Each goes up at once, its progress shown (XMLHttpRequest: fetch reports none for an
// upload), and the next send names those that are up.
import { plainWords } from "./api.js";
import { limits } from "./limits.js";
import { sizeText } from "./message_view.js";
import { $, element, say } from "./page.js";

// The room's files waiting to be sent: { node, id (once up), request (while going up) }.
let waiting = [];
let roomId = null;

export function uploadsFor(room) {
  forgetUploads();
  roomId = room;
}

export function forgetUploads() {
  for (const upload of waiting) upload.request?.abort();
  waiting = [];
  $("#uploads").replaceChildren();
  $("#uploads").hidden = true;
}

export function uploadsGoingUp() {
  return waiting.some((upload) => upload.request);
}

// The ids of the files that are up, taken for a send: the list starts again empty.
export function takeUploaded() {
  const ids = waiting.filter((upload) => upload.id).map((upload) => upload.id);
  if (ids.length) forgetUploads();
  return ids;
}

export function upload(files) {
  const max = limits.ws.attachments_per_message ?? 10;
  for (const file of files) {
    if (waiting.length >= max) {
      say(`A message takes ${max} files at most.`);
      return;
    }
    start(file);
  }
}

function start(file) {
  const entry = { node: element("li", undefined, "upload"), id: null, request: new XMLHttpRequest() };
  const progress = element("progress");
  progress.max = file.size || 1;
  progress.value = 0;
  progress.setAttribute("aria-label", `Uploading ${file.name}`);
  const state = element("span", "uploading", "state");
  const remove = element("button", "Remove");
  remove.type = "button";
  remove.setAttribute("aria-label", `Remove ${file.name}`);
  remove.addEventListener("click", () => {
    entry.request?.abort();
    waiting = waiting.filter((other) => other !== entry);
    entry.node.remove();
    $("#uploads").hidden = waiting.length === 0;
  });
  entry.node.append(element("span", file.name, "name"), element("span", sizeText(file.size), "size"), progress, state, remove);
  $("#uploads").append(entry.node);
  $("#uploads").hidden = false;
  waiting.push(entry);

  const tooBig = limits.ws.max_attachment_bytes;
  if (tooBig && file.size > tooBig) {
    failed(entry, `too large (${sizeText(tooBig)} at most)`);
    return;
  }
  const request = entry.request;
  request.upload.addEventListener("progress", (event) => { progress.value = event.loaded; });
  request.addEventListener("load", () => {
    entry.request = null;
    let answer = null;
    try {
      answer = JSON.parse(request.responseText);
    } catch {
      // not JSON: said below by its status
    }
    if (request.status === 201 && answer) {
      entry.id = answer.id;
      progress.value = progress.max;
      state.textContent = "ready";
      entry.node.classList.add("ready");
    } else {
      failed(entry, plainWords(answer?.error?.code, answer?.error?.message ?? `the server answered ${request.status}`));
    }
  });
  request.addEventListener("error", () => failed(entry, "the connection failed"));
  const form = new FormData();
  form.append("file", file, file.name);
  request.open("POST", `/ws/rooms/${roomId}/attachments`);
  request.send(form);
}

function failed(entry, reason) {
  entry.request = null;
  entry.node.classList.add("failed");
  entry.node.querySelector(".state").textContent = `not uploaded: ${reason}`;
}
