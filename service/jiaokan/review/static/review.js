// jiaokan review page: keyboard and mouse decisions, evidence popover, live counts.
// Every string from the store is put in the page with textContent: OCR text is untrusted.
(function () {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const documentId = root.dataset.documentId;
  const proposals = JSON.parse(document.getElementById("proposal-data").textContent);
  const marks = Array.from(document.querySelectorAll("#text .proposal"));
  const indexById = new Map(marks.map((mark, index) => [mark.dataset.id, index]));
  const popover = document.getElementById("popover");
  const message = document.getElementById("message");
  const undoStack = [];
  let current = -1;

  // --- rendering --------------------------------------------------------------------------
  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // whitespace drawn as symbols, so a removed line break or space can be seen
  const symbols = { "\n": "↵", "\r": "", " ": "·", "\t": "⇥", "\u3000": "□" };
  function visible(value) { return value.replace(/[\n\r \t\u3000]/g, (character) => symbols[character]); }

  function changeLine(p) {
    const line = element("div", null, "change");
    line.append(p.original ? element("del", visible(p.original)) : element("span", "(insert)", "nothing"));
    line.append(element("span", "→", "arrow"));
    line.append(p.replacement ? element("ins", visible(p.replacement)) : element("span", "(delete)", "nothing"));
    return line;
  }

  function facts(p) {
    const list = element("dl", null, "facts");
    const confidence = element("dd");
    const meter = element("span", null, "confidence");
    const fill = element("span");
    fill.style.width = Math.round(100 * p.confidence) + "%";
    meter.append(fill);
    confidence.append(meter, document.createTextNode(p.confidence.toFixed(2)));
    const status = element("dd");
    status.append(element("span", p.status, "status-badge " + p.status));
    if (p.auto) status.append(document.createTextNode(p.status === "pending" ? " · auto-applied" : " · auto"));
    list.append(element("dt", "rule"), element("dd", p.rule), element("dt", "kind"), element("dd", p.kind),
                element("dt", "confidence"), confidence, element("dt", "status"), status);
    return list;
  }

  function evidenceRows(table, key, value, depth) {
    if (value && typeof value === "object" && !Array.isArray(value) && depth < 2) {
      for (const [subkey, subvalue] of Object.entries(value)) evidenceRows(table, key ? key + " · " + subkey : subkey, subvalue, depth + 1);
      return;
    }
    const row = element("tr");
    row.append(element("td", key));
    let shown;
    if (Array.isArray(value)) shown = value.map((item) => (typeof item === "object" ? JSON.stringify(item) : String(item))).join("  ·  ");
    else if (value && typeof value === "object") shown = JSON.stringify(value);
    else shown = String(value);
    row.append(element("td", shown, "reading"));
    table.append(row);
  }

  function evidence(p) {
    const box = element("div", null, "evidence");
    const entries = Object.keys(p.evidence || {});
    if (!entries.length) { box.append(element("span", "no evidence recorded", "muted")); return box; }
    const table = element("table");
    evidenceRows(table, "", p.evidence, 0);
    box.append(table);
    return box;
  }

  function details(p) {
    const fragment = document.createDocumentFragment();
    fragment.append(changeLine(p), facts(p), evidence(p));
    return fragment;
  }

  function showCurrent() {
    const body = document.getElementById("current-body");
    const position = document.getElementById("current-position");
    if (current < 0) return;
    const p = proposals[marks[current].dataset.id];
    body.className = "";
    body.replaceChildren(details(p));
    position.textContent = (current + 1) + " / " + marks.length;
  }

  function refreshMark(id) {
    const p = proposals[id];
    const mark = document.getElementById("p" + id);
    if (!mark) return;
    mark.classList.remove("status-pending", "status-accepted", "status-rejected");
    mark.classList.add("status-" + p.status);
  }

  function refreshCounts() {
    const counts = { pending: 0, accepted: 0, rejected: 0 };
    let review = 0;
    for (const p of Object.values(proposals)) { counts[p.status] += 1; if (p.status === "pending" && !p.auto) review += 1; }
    document.getElementById("count-review").textContent = review;
    const total = counts.pending + counts.accepted + counts.rejected || 1;
    for (const name of Object.keys(counts)) document.getElementById("count-" + name).textContent = counts[name];
    document.getElementById("bar-accepted").style.width = (100 * counts.accepted / total) + "%";
    document.getElementById("bar-rejected").style.width = (100 * counts.rejected / total) + "%";
  }

  async function refreshFinalText() {
    const response = await fetch(root.dataset.textUrl, { headers: { accept: "application/json" } });
    if (response.ok) document.getElementById("final-text").textContent = (await response.json()).text;
  }

  function say(text, isError) {
    message.textContent = text;
    message.classList.toggle("error", Boolean(isError));
  }

  // --- navigation -------------------------------------------------------------------------
  function select(index, scroll) {
    if (index < 0 || index >= marks.length) return;
    if (current >= 0) marks[current].classList.remove("current");
    current = index;
    const mark = marks[current];
    mark.classList.add("current");
    if (scroll !== false) {
      const box = mark.getBoundingClientRect();
      if (box.top < 110 || box.bottom > window.innerHeight - 40) mark.scrollIntoView({ block: "center" });
    }
    showCurrent();
  }

  const focusMode = document.getElementById("focus-mode");
  const visits = {
    review: (p) => p.status === "pending" && !p.auto,
    pending: (p) => p.status === "pending",
    all: () => true,
  };

  // follow: true = the "visit" choice, false = every proposal
  function step(direction, follow) {
    const mode = follow ? focusMode.value : "all";
    for (let index = current + direction; index >= 0 && index < marks.length; index += direction) {
      if (visits[mode](proposals[marks[index].dataset.id])) { select(index); return true; }
    }
    say(mode === "all" ? "no more proposals this way" : "no more proposals this way to " + (mode === "review" ? "review" : "decide"));
    return false;
  }

  // --- decisions --------------------------------------------------------------------------
  async function send(id, status, version) {
    const response = await fetch("/v1/proposals/" + id, {
      method: "PATCH",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(version === undefined ? { status } : { status, version }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { status: response.status });
    return body;
  }

  async function decide(status, options) {
    if (current < 0) { step(1, true); return; }
    const id = marks[current].dataset.id;
    const p = proposals[id];
    const previous = p.status;
    if (previous === status) { if (status !== "pending") step(1, true); return; }
    try {
      const stored = await send(id, status, p.version);
      p.status = stored.status;
      p.version = stored.version;
      if (!(options && options.isUndo)) undoStack.push({ id, previous });
      refreshMark(id);
      refreshCounts();
      showCurrent();
      say(status === "pending" ? "back to pending" : status + (options && options.isUndo ? " (undone)" : "") + " · u to undo");
      refreshFinalText();
      if (status !== "pending" && !(options && options.isUndo)) step(1, true);
    } catch (error) {
      say("could not save: " + error.message + (error.status === 409 ? " — reload to see the latest" : ""), true);
    }
  }

  async function undo() {
    const last = undoStack.pop();
    if (!last) { say("nothing to undo"); return; }
    select(indexById.get(last.id));
    await decide(last.previous, { isUndo: true });
  }

  // --- popover ----------------------------------------------------------------------------
  function showPopover(mark) {
    const p = proposals[mark.dataset.id];
    popover.replaceChildren(details(p));
    popover.hidden = false;
    const box = mark.getBoundingClientRect();
    const left = Math.min(window.scrollX + box.left, window.scrollX + window.innerWidth - popover.offsetWidth - 12);
    popover.style.left = Math.max(8, left) + "px";
    popover.style.top = (window.scrollY + box.bottom + 8) + "px";
  }

  function hidePopover() { popover.hidden = true; }

  // --- wiring -----------------------------------------------------------------------------
  const textBox = document.getElementById("text");
  textBox.addEventListener("click", (event) => {
    const mark = event.target.closest(".proposal");
    if (mark) select(indexById.get(mark.dataset.id), false);
  });
  textBox.addEventListener("mouseover", (event) => { const mark = event.target.closest(".proposal"); if (mark) showPopover(mark); });
  textBox.addEventListener("mouseout", (event) => { if (event.target.closest(".proposal")) hidePopover(); });
  textBox.addEventListener("focusin", (event) => {
    const mark = event.target.closest(".proposal");
    if (mark) { showPopover(mark); if (indexById.get(mark.dataset.id) !== current) select(indexById.get(mark.dataset.id), false); }
  });
  textBox.addEventListener("focusout", hidePopover);
  document.getElementById("accept-button").addEventListener("click", () => decide("accepted"));
  document.getElementById("reject-button").addEventListener("click", () => decide("rejected"));
  document.getElementById("reset-button").addEventListener("click", () => decide("pending"));

  const finalToggle = document.getElementById("show-final");
  finalToggle.addEventListener("change", () => {
    document.getElementById("final-text").hidden = !finalToggle.checked;
    textBox.hidden = finalToggle.checked;
  });

  const bulkForm = document.getElementById("bulk-form");
  if (bulkForm) bulkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const rule = document.getElementById("bulk-rule").value;
    const minConfidence = Number(document.getElementById("bulk-confidence").value);
    const response = await fetch("/v1/proposals/decisions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "accepted", document_id: Number(documentId), rule, min_confidence: minConfidence }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) { say("bulk decision failed: " + (body.detail || response.statusText), true); return; }
    say(body.updated + " accepted; reloading");
    window.location.reload();
  });

  const keys = {
    j: () => step(1, true), k: () => step(-1, true), J: () => step(1, false), K: () => step(-1, false),
    ArrowDown: () => step(1, true), ArrowUp: () => step(-1, true),
    a: () => decide("accepted"), r: () => decide("rejected"), x: () => decide("rejected"), p: () => decide("pending"),
    u: undo, t: () => { finalToggle.checked = !finalToggle.checked; finalToggle.dispatchEvent(new Event("change")); },
    "[": () => { if (root.dataset.previousUrl) window.location = root.dataset.previousUrl; },
    "]": () => { if (root.dataset.nextUrl) window.location = root.dataset.nextUrl; },
  };
  focusMode.addEventListener("change", () => focusMode.blur());
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea")) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  refreshCounts();
  window.jiaokanReview = { proposals, select, decide, undo };  // for tests and the console
})();
