// The feedback page: list exchanges, show one with its trace, record a rating.
"use strict";

function authHeaders() {
  const key = sessionStorage.getItem("afsKey");
  return key ? { "Authorization": "Bearer " + key } : {};
}

async function api(path, options = {}) {
  options.headers = Object.assign({ "Content-Type": "application/json" }, authHeaders(),
                                  options.headers || {});
  const response = await fetch(path, options);
  if (response.status === 401) {
    document.getElementById("key-row").hidden = false;
    throw new Error("this gateway needs its key");
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

async function loadList() {
  const query = document.getElementById("query").value.trim();
  const path = "/ui/api/records?limit=100" + (query ? "&q=" + encodeURIComponent(query) : "");
  const box = document.getElementById("records");
  box.replaceChildren();
  const data = await api(path);
  for (const record of data.records) {
    const item = el("div", { "class": "item", "data-id": record.id });
    item.append(el("div", {}, record.prompt || "(empty prompt)"));
    const vote = record.score === null ? "unrated" : "score " + record.score;
    item.append(el("div", { "class": "meta" },
      record.model + " · " + new Date(record.timestamp * 1000).toLocaleString() + " · " + vote));
    item.addEventListener("click", () => showRecord(record.id));
    box.append(item);
  }
}

function renderTrace(metadata) {
  const wrap = el("div");
  const steps = (metadata && metadata.generalist_steps) || [];
  for (const step of steps.filter((s) => s.kind === "invocation")) {
    const box = el("div", { "class": "step" });
    box.append(el("strong", {}, "expert " + step.expert));
    box.append(el("pre", {}, step.response || step.error || ""));
    wrap.append(box);
  }
  for (const stage of (metadata && metadata.critic) || []) {
    wrap.append(el("div", { "class": "step" },
      "critic iteration " + stage.iteration + ": score " + stage.score +
      (stage.passed ? " (pass)" : "")));
  }
  return wrap;
}

async function showRecord(id) {
  for (const node of document.querySelectorAll(".item")) {
    node.classList.toggle("selected", node.dataset.id === id);
  }
  const record = await api("/ui/api/records/" + encodeURIComponent(id));
  const main = document.getElementById("detail");
  main.replaceChildren();
  main.append(el("h2", {}, record.model + " · " + record.id));
  main.append(el("h3", {}, "Prompt"), el("pre", {}, record.prompt));
  main.append(el("h3", {}, "Answer"), el("pre", { "id": "answer" }, record.response));
  main.append(el("h3", {}, "Trace"), renderTrace(record.metadata));
  main.append(el("h3", {}, "Your rating"));
  const up = el("button", { "id": "thumbs-up" }, "👍 Good");
  const down = el("button", { "id": "thumbs-down" }, "👎 Bad");
  const status = el("span", { "id": "status" });
  const correction = el("textarea", { "id": "correction",
                                      "placeholder": "optional: the answer you wanted" });
  const comment = el("input", { "id": "comment", "placeholder": "optional comment" });
  async function rate(score) {
    const payload = { record_id: record.id, score: score };
    if (correction.value.trim()) payload.correction = correction.value;
    if (comment.value.trim()) payload.text = comment.value;
    try {
      const result = await api("/v1/feedback", { method: "POST", body: JSON.stringify(payload) });
      status.textContent = "saved (feedback " + result.feedback_id + ")";
      loadList();
    } catch (error) {
      status.textContent = "error: " + error.message;
    }
  }
  up.addEventListener("click", () => rate(1));
  down.addEventListener("click", () => rate(-1));
  main.append(up, down, status, el("p"), comment, el("p"), correction);
  const history = el("ul");
  for (const vote of record.feedback) {
    history.append(el("li", {}, "score " + vote.score + (vote.text ? ": " + vote.text : "")));
  }
  main.append(el("h3", {}, "Earlier ratings"), history);
}

document.getElementById("search").addEventListener("click", loadList);
document.getElementById("query").addEventListener("keydown", (e) => {
  if (e.key === "Enter") loadList();
});
document.getElementById("save-key").addEventListener("click", () => {
  sessionStorage.setItem("afsKey", document.getElementById("key").value);
  document.getElementById("key-row").hidden = true;
  loadList();
});
loadList().catch((error) => {
  document.getElementById("records").textContent = error.message;
});
