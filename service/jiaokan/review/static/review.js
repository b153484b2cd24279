// jiaokan review page: the reviewer's name, keyboard help, and on a document the apparatus,
// decisions (accept, reject, a typed reading, a comment), bulk decisions with their undo.
// Every string from the store is put in the page with textContent: OCR text is untrusted.
(function () {
  "use strict";

  // --- every request to the API goes through here (one place to add an Authorization header) ---
  async function api(path, options) {
    const settings = Object.assign({ method: "GET" }, options || {});
    const headers = Object.assign({ accept: "application/json" }, settings.headers || {});
    if (settings.body !== undefined && typeof settings.body !== "string") {
      headers["content-type"] = "application/json";
      settings.body = JSON.stringify(settings.body);
    }
    const response = await fetch(path, Object.assign({}, settings, { headers }));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail
        : Array.isArray(body.detail) ? body.detail.map((item) => item.msg).join("; ")  // a 422's list
        : response.statusText;
      throw Object.assign(new Error(detail), { status: response.status });
    }
    return body;
  }

  // --- the reviewer's name, kept in this browser --------------------------------------------
  const reviewerInput = document.getElementById("reviewer-name");
  const REVIEWER_KEY = "jiaokan.reviewer";
  if (reviewerInput) {
    reviewerInput.value = localStorage.getItem(REVIEWER_KEY) || "";
    reviewerInput.addEventListener("input", () => localStorage.setItem(REVIEWER_KEY, reviewerInput.value.trim()));
    reviewerInput.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === "Escape") { event.preventDefault(); reviewerInput.blur(); } });
  }
  function reviewer() { return (reviewerInput && reviewerInput.value.trim()) || null; }

  // --- keyboard help ------------------------------------------------------------------------
  const help = document.getElementById("help");
  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }
  const helpButton = document.getElementById("help-button");
  if (helpButton) helpButton.addEventListener("click", toggleHelp);

  function typing(event) { return Boolean(event.target.closest("input, select, textarea, [contenteditable]")); }

  const root = document.getElementById("review");
  if (!root) {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      if (event.key === "?") { event.preventDefault(); toggleHelp(); }
      if (event.key === "/") { const search = document.getElementById("queue-text"); if (search) { event.preventDefault(); search.focus(); } }
    });
    return;
  }

  // --- a document ---------------------------------------------------------------------------
  const documentId = Number(root.dataset.documentId);
  const proposals = proposalsOfPage();
  const variants = JSON.parse(document.getElementById("variant-data").textContent);
  const thresholds = JSON.parse(document.getElementById("threshold-data").textContent);
  const textBox = document.getElementById("text");
  let marks = Array.from(textBox.querySelectorAll(".proposal"));
  let indexById = new Map(marks.map((mark, index) => [mark.dataset.proposalId, index]));
  // after a proposal is added to the text (a reviewer's own correction)
  function reindex() {
    const currentId = current >= 0 ? marks[current].dataset.proposalId : null;
    marks = Array.from(textBox.querySelectorAll(".proposal"));
    indexById = new Map(marks.map((mark, index) => [mark.dataset.proposalId, index]));
    current = currentId === null ? -1 : indexById.get(currentId);
  }
  // what needed a person when the page opened: "2 of 5 to review" counts in this list
  const reviewList = marks.filter((mark) => mark.classList.contains("needs-review")).map((mark) => mark.dataset.proposalId);
  const message = document.getElementById("message");
  const commentInput = document.getElementById("comment-input");
  const undoStack = [];
  let current = -1;

  // every proposal's outline (where, rule, status) as an object by id, with the details
  // (evidence, places, history) of the first to review; the others' come when one is opened
  function proposalsOfPage() {
    const outline = JSON.parse(document.getElementById("proposal-outline").textContent);
    const details = JSON.parse(document.getElementById("proposal-data").textContent);
    const byId = {};
    for (const row of outline.rows) {
      const p = {};
      outline.fields.forEach((field, index) => { p[field] = row[index]; });
      byId[p.id] = p;
    }
    for (const [id, detail] of Object.entries(details)) Object.assign(byId[id], detail, { detailed: true });
    return byId;
  }

  function shownReading(p) { return p.reading !== null && p.reading !== undefined ? p.reading : p.replacement; }

  // a proposal that needs no decision comes as a bare span of its final reading (a long
  // document holds thousands); it gets both readings and its status when it is shown
  function dress(mark) {
    if (mark.firstElementChild) return;
    const p = proposals[mark.dataset.proposalId];
    mark.id = "p" + p.id;
    mark.dataset.rule = p.rule;
    mark.classList.add("status-" + p.status, "kind-" + p.kind);
    if (p.auto) mark.classList.add("auto");
    mark.replaceChildren(element("del", visible(p.original)), element("ins", shownReading(p)));
  }

  // the details of a proposal the page did not carry, fetched once, then shown if still current
  const detailsAsked = new Set();
  async function loadDetails(id) {
    if (detailsAsked.has(id)) return;
    detailsAsked.add(id);
    try {
      const p = proposals[id];
      const version = p.version;
      const details = await api("/review/proposals/" + id + "/details");
      if (p.version !== version) { detailsAsked.delete(id); loadDetails(id); return; }  // decided meanwhile: ask again
      Object.assign(p, details, { detailed: true });
      if (current >= 0 && marks[current].dataset.proposalId === id) showCurrent();
    } catch (error) {
      detailsAsked.delete(id);
      say("could not load the evidence: " + error.message, true);
    }
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  const symbols = { "\n": "↵", "\r": "", " ": "·", "\t": "⇥", "\u3000": "□" };
  function visible(value) { return String(value).replace(/[\n\r \t\u3000]/g, (character) => symbols[character]); }
  function quoted(value) { return "「" + visible(value) + "」"; }

  // --- evidence in words --------------------------------------------------------------------
  const SUPERSCRIPT = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };
  // a log10 ratio as "how many times": 3.2×, 1,600×, 10⁶⁴×
  function times(log10) {
    const size = Math.abs(log10);
    if (size < 1) return (Math.pow(10, size)).toFixed(1) + "×";
    if (size < 6) return Math.round(Math.pow(10, size)).toLocaleString("en") + "×";
    return "10" + String(Math.round(size)).replace(/./g, (digit) => SUPERSCRIPT[digit]) + "×";
  }
  function number(value) { return typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, "").replace(/\.$/, "")) : String(value); }
  function plain(value) {
    if (value === null || value === undefined) return "—";
    if (Array.isArray(value)) return value.map(plain).join("; ");
    if (typeof value === "object") return Object.entries(value).map(([key, item]) => key + " " + plain(item)).join(", ");
    return number(value);
  }

  // the copies' readings as a list of {document, reading, self?} (an older store kept {document: reading})
  function readingsOf(ev) {
    if (Array.isArray(ev.readings)) return ev.readings.filter((item) => item && typeof item === "object").map((item) => ({ document: String(item.document), reading: String(item.reading ?? ""), self: Boolean(item.self) }));
    if (ev.readings && typeof ev.readings === "object") return Object.entries(ev.readings).map(([document, reading]) => ({ document, reading: String(reading) }));
    return [];
  }

  function ownAndFix(p) {
    const ev = p.evidence || {};
    const readings = readingsOf(ev);
    const own = readings.find((item) => item.self);
    return { own: own ? own.reading : p.original, fix: typeof ev.chosen === "string" ? ev.chosen : p.replacement };
  }

  const HANDLED = new Set(["rule", "readings", "chosen", "context", "channel", "language", "words", "weakest", "votes", "posterior",
    "copies", "copies_for", "copies_against", "lexicon", "term", "found", "source", "match", "domain_term", "calibrated",
    "variant", "repeat", "garbled", "edges", "found_in", "found_elsewhere", "lost_line", "digits", "tie", "spaced",
    "own_printed", "marks_only", "repeated", "separated", "page_length", "line_length", "reliability", "confidence",
    "length", "lookalike_similarity", "pair_word", "run", "others", "confirmed", "dropped", "mistakes", "moved"]);

  function evidenceSentences(p) {
    const ev = p.evidence || {};
    const { own, fix } = ownAndFix(p);
    const said = [];
    const say = (text, className) => said.push({ text, className });
    if (typeof ev.variant === "string") say("Not an OCR error: " + ev.variant + ".", "warning");
    if (typeof ev.copies === "number" && ev.copies > 0) {
      const agreeing = typeof ev.copies_for === "number" ? ev.copies_for : 0;
      let sentence = agreeing + " of " + ev.copies + (ev.copies === 1 ? " other copy reads " : " other copies read ") + quoted(fix);
      if (ev.copies_against) sentence += "; " + ev.copies_against + " read" + (ev.copies_against === 1 ? "s" : "") + " as this page does, " + quoted(own);
      say(sentence + ".");
    }
    if (typeof ev.context === "string" && ev.readings) say("In context: " + ev.context.replace(/\[/, "【").replace(/\]/, "】"), "context");
    if (typeof ev.votes === "number" && ev.copies) say("Weighted by each copy's reliability, the votes favour " + (ev.votes >= 0 ? quoted(fix) : quoted(own)) + " by " + number(Math.abs(ev.votes)) + (ev.tie ? " — an even split: the channel and the language model decided." : "."));
    if (typeof ev.lookalike_similarity === "number" && ev.lookalike_similarity > 0) say(quoted(own) + " and " + quoted(fix) + " look alike (glyph similarity " + number(ev.lookalike_similarity) + ").");
    if (typeof ev.channel === "number") {
      if (ev.channel > 0.3) say("OCR channel: an engine misreading " + quoted(fix) + " as " + quoted(own) + " explains the page " + times(ev.channel) + " better than a right reading — a plausible misreading.");
      else if (ev.channel < -0.3) say("OCR channel: a misreading of " + quoted(fix) + " as " + quoted(own) + " is " + times(ev.channel) + " less likely than the page being read right.");
      else say("OCR channel: neutral between a misreading and a right reading.");
    }
    if (typeof ev.mistakes === "number" && ev.mistakes > 0) say("The fix assumes the engine made " + number(ev.mistakes) + " OCR mistake" + (ev.mistakes === 1 ? "" : "s") + " here.");
    if (typeof ev.weakest === "number" && ev.weakest < -0.05) say("The least likely mistake it assumes has a probability of about 1 in " + times(-ev.weakest).replace("×", "") + ".");
    if (typeof ev.language === "number") say("Language model (newspaper prose): " + (Math.abs(ev.language) < 0.05 ? "no preference here." : (ev.language > 0 ? quoted(fix) : quoted(own)) + " is " + times(ev.language) + " likelier in this context."));
    if (typeof ev.words === "number") say("Word model: " + (Math.abs(ev.words) < 0.05 ? "no preference." : (ev.words > 0 ? "the fix" : "the page's reading") + " segments " + times(ev.words) + " better."));
    if (Array.isArray(ev.lexicon)) for (const entry of ev.lexicon) if (entry && entry.term) say("Lexicon entry " + quoted(entry.term) + (entry.source ? " (" + entry.source + ")" : "") + " is in the chosen reading.");
    if (typeof ev.term === "string") say((ev.found ? quoted(ev.found) + " is one " + (ev.match === "lookalike" ? "look-alike " : "") + "misreading away from " : "Forms ") + "the lexicon entry " + quoted(ev.term) + (ev.source ? " (" + ev.source + ")" : "") + ".");
    if (ev.domain_term && typeof ev.term !== "string") say("The chosen reading forms a domain term the page's reading does not.");
    if (ev.confirmed) say("Other copies confirmed this term by their votes.");
    if (ev.lost_line) say("This copy lost a whole line the other copies read.");
    if (ev.moved) say("The block is moved text: another document prints it in another passage, and the copies read something unrelated here.");
    if (ev.repeat) say("The block repeats text of this page (a sentence printed twice, a running title): damage, not an edition's text.");
    if (typeof ev.garbled === "number" && (ev.rule === "replaced_block" || p.rule === "replaced_block")) say("Per character, the block reads " + (ev.garbled >= 0 ? "worse" : "better") + " than the copies' text by " + times(ev.garbled) + " (language model).");
    if (typeof ev.edges === "number" && p.rule === "replaced_block") say("At its edges, the copies' text joins the sentence " + times(ev.edges) + (ev.edges >= 0 ? " better." : " worse."));
    if (Array.isArray(ev.found_in) && ev.found_in.length) say("Another document prints this block: " + ev.found_in.join(", ") + ".");
    if (ev.digits) say("It changes a figure.", "warning");
    if (ev.spaced) say("The page's reading stands between spaces: a speck or mark the engine could not read.");
    if (typeof ev.own_printed === "number" && ev.own_printed > 0) { const count = Math.round(Math.exp(ev.own_printed) - 1); say("The page prints its own reading " + count + " more time" + (count === 1 ? "" : "s") + " elsewhere (OCR seldom repeats a misreading)."); }
    if (ev.marks_only) say("Only punctuation differs.");
    if (typeof ev.repeated === "string") say("The sentence " + quoted(ev.repeated.length > 40 ? ev.repeated.slice(0, 40) + "…" : ev.repeated) + " is printed twice" + (ev.separated ? ", apart." : " in a row."));
    if (ev.pair_word) say(quoted(p.original) + " is itself a word (reduplication is common).");
    if (typeof ev.context === "string" && !ev.readings) say("Context: " + quoted(ev.context));
    if (typeof ev.page_length === "number") say("The page: about " + Math.round(Math.pow(10, ev.page_length) - 1).toLocaleString("en") + " characters" + (typeof ev.line_length === "number" ? ", lines of about " + Math.round(Math.pow(10, ev.line_length) - 1) + "." : "."), "muted");
    if (typeof ev.calibrated === "number") say("Calibrated probability " + ev.calibrated.toFixed(2) + "; the lexicon, which says what the text holds, raised it to " + p.confidence.toFixed(2) + ".");
    return said;
  }

  function otherEvidence(p) {
    const rest = Object.entries(p.evidence || {}).filter(([key]) => !HANDLED.has(key));
    if (!rest.length) return null;
    const list = element("dl", null, "facts other");
    for (const [key, value] of rest) list.append(element("dt", key.replace(/_/g, " ")), element("dd", plain(value)));
    return list;
  }

  function confidenceLine(p) {
    const line = element("p", null, "confidence-line");
    const meter = element("span", null, "confidence");
    meter.setAttribute("aria-hidden", "true");
    const fill = element("span");
    fill.style.width = Math.round(100 * p.confidence) + "%";
    meter.append(fill);
    const threshold = thresholds[p.rule];
    let words = "Calibrated confidence " + p.confidence.toFixed(2);
    if (typeof threshold === "number") {
      words += p.confidence >= threshold
        ? " — at or above this rule's auto-apply threshold " + threshold.toFixed(2) + ", so it was applied automatically."
        : " — below this rule's auto-apply threshold " + threshold.toFixed(2) + ", so it waits for a person.";
    }
    line.append(meter, document.createTextNode(words));
    return line;
  }

  // --- the apparatus: the copies' readings lined up -----------------------------------------
  // which characters of `reading` stand where `chosen` has the same (longest common subsequence)
  function sharedCharacters(reading, chosen) {
    const a = Array.from(reading), b = Array.from(chosen);
    if (a.length * b.length > 40000) return a.map((character, index) => character === b[index]);
    const table = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
    for (let i = a.length - 1; i >= 0; i -= 1) for (let j = b.length - 1; j >= 0; j -= 1)
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    const shared = new Array(a.length).fill(false);
    for (let i = 0, j = 0; i < a.length && j < b.length;) {
      if (a[i] === b[j]) { shared[i] = true; i += 1; j += 1; } else if (table[i + 1][j] >= table[i][j + 1]) i += 1; else j += 1;
    }
    return shared;
  }

  function readingCell(reading, chosen) {
    const cell = element("td", null, "reading");
    cell.lang = "zh-Hans";
    const shared = sharedCharacters(reading, chosen);
    Array.from(reading).forEach((character, index) => cell.append(element("span", visible(character), shared[index] ? "same" : "differs")));
    if (!reading) cell.append(element("span", "(nothing)", "nothing"));
    return cell;
  }

  function apparatusTable(readings, chosen, reliability, places, caption) {
    const table = element("table", null, "apparatus");
    table.append(element("caption", caption));
    const head = element("tr");
    for (const title of ["", "Copy", "Reliability", "Reading"]) { const cell = element("th", title); cell.scope = "col"; head.append(cell); }
    table.append(element("thead")); table.tHead.append(head);
    const body = element("tbody");
    readings.forEach((item, index) => {
      const row = element("tr", null, item.reading === chosen ? "chosen" : "");
      const marker = element("td", item.reading === chosen ? "✓" : "", "marker");
      if (item.reading === chosen) marker.setAttribute("aria-label", "chosen");
      const name = element("td", null, "copy");
      const place = places && places[index];
      const link = place ? element("a", item.document) : element("span", item.document);
      if (place) { link.href = place; link.title = "open this place in " + item.document; }
      name.append(link);
      if (item.self) name.append(element("span", " this page", "self-tag"));
      const share = reliability && typeof reliability[item.document] === "number" ? Math.round(1000 * reliability[item.document]) / 10 + "%" : "—";
      row.append(marker, name, element("td", share, "number"), readingCell(item.reading, chosen));
      body.append(row);
    });
    table.append(body);
    return table;
  }

  function changeLine(p) {
    const line = element("p", null, "change");
    line.lang = "zh-Hans";
    line.append(p.original ? element("del", visible(p.original)) : element("span", "(insert)", "nothing"));
    line.append(element("span", "→", "arrow"));
    const replacement = shownReading(p);
    line.append(replacement ? element("ins", visible(replacement)) : element("span", "(delete)", "nothing"));
    if (p.reading !== null && p.reading !== undefined) line.append(element("span", " the reviewer's reading (the engine proposed " + quoted(p.replacement) + ")", "small muted"));
    return line;
  }

  const STATUS_WORDS = { pending: "pending", accepted: "accepted", rejected: "rejected" };
  function statusLine(p) {
    const line = element("p", null, "status-line");
    line.append(element("span", STATUS_WORDS[p.status], "status-badge " + p.status));
    let words = " " + p.rule.replace(/_/g, " ") + " · " + p.kind;
    if (p.status === "pending") words += p.auto ? " · applied automatically" : " · needs a decision";
    if (p.decided_by && p.status !== "pending") words += " · by " + p.decided_by;
    line.append(document.createTextNode(words));
    return line;
  }

  function historyList(p) {
    if (!p.history || !p.history.length) return null;
    const box = element("details", null, "history");
    box.append(element("summary", "History (" + p.history.length + ")"));
    const list = element("ol");
    for (const item of p.history) {
      const when = item.decided_at ? new Date(item.decided_at).toLocaleString() : "";
      let words = item.status + (item.reading !== null && item.reading !== undefined ? " as " + quoted(item.reading) : "") + " by " + (item.decided_by || "someone unnamed") + (when ? ", " + when : "");
      if (item.batch) words += item.batch.startsWith("undo-") ? " (bulk undone)" : " (in bulk)";
      const entry = element("li", words);
      if (item.comment) entry.append(element("q", item.comment, "comment-text"));
      list.append(entry);
    }
    box.append(list);
    return box;
  }

  function proposalDetails(p) {
    const fragment = document.createDocumentFragment();
    fragment.append(changeLine(p), statusLine(p), confidenceLine(p));
    if (!p.detailed) {
      fragment.append(element("p", "Loading the evidence…", "muted small"));
      return fragment;
    }
    const ev = p.evidence || {};
    const readings = readingsOf(ev);
    if (readings.length) {
      const chosen = typeof ev.chosen === "string" ? ev.chosen : p.replacement;
      fragment.append(apparatusTable(readings, chosen, ev.reliability, p.places, "The copies' readings (✓ the chosen one)"));
    } else if (p.kind !== "normalisation") {
      fragment.append(element("p", "One copy: no other stored document reads this place.", "muted small"));
    }
    const sentences = evidenceSentences(p);
    if (sentences.length) {
      const list = element("ul", null, "evidence-words");
      for (const sentence of sentences) list.append(element("li", sentence.text, sentence.className));
      fragment.append(list);
    } else if (p.kind === "normalisation") {
      fragment.append(element("p", "A normalisation: routine, the same everywhere in the text.", "muted"));
    }
    const other = otherEvidence(p);
    if (other) fragment.append(other);
    if (p.comment) fragment.append(element("p", "Comment: " + p.comment, "comment-text"));
    const history = historyList(p);
    if (history) fragment.append(history);
    return fragment;
  }

  function variantDetails(v) {
    const fragment = document.createDocumentFragment();
    const own = readingsOf(v)[0] || { reading: v.original };
    fragment.append(element("p", "A variant: the copies read this place otherwise, and nothing was changed. " + (v.reason ? "Why: " + v.reason + "." : ""), "variant-note"));
    fragment.append(apparatusTable(readingsOf(v).map((item, index) => Object.assign(item, { self: index === 0 })), own.reading,
      (v.evidence || {}).reliability, v.places, "The copies' readings (✓ this page's, kept)"));
    const sentences = evidenceSentences({ evidence: Object.assign({}, v.evidence, { copies: undefined, votes: undefined }), original: v.original, replacement: (readingsOf(v)[1] || {}).reading || "", rule: "variant", confidence: (v.evidence || {}).confidence || 0 });
    if (sentences.length) {
      const list = element("ul", null, "evidence-words");
      for (const sentence of sentences) list.append(element("li", sentence.text, sentence.className));
      fragment.append(list);
    }
    return fragment;
  }

  // --- the current proposal and the counts ---------------------------------------------------
  const body = document.getElementById("current-body");
  const positionLabel = document.getElementById("current-position");
  const barPosition = document.getElementById("bar-position");

  function needsReview(p) { return p.status === "pending" && !p.auto; }
  function leftToReview() { return Object.values(proposals).filter(needsReview).length; }

  function positionWords() {
    const left = leftToReview();
    if (current < 0) return left ? left + " to review" : "nothing to review";
    const id = marks[current].dataset.proposalId;
    const place = reviewList.indexOf(id);
    if (place >= 0) return (place + 1) + " of " + reviewList.length + " to review" + (left !== reviewList.length ? " · " + left + " left" : "");
    return "proposal " + (current + 1) + " of " + marks.length + " · " + left + " to review";
  }

  function showCurrent() {
    if (current < 0) return;
    const id = marks[current].dataset.proposalId;
    const p = proposals[id];
    body.className = "";
    body.replaceChildren(proposalDetails(p));
    positionLabel.textContent = positionWords();
    barPosition.textContent = positionWords();
    document.body.classList.add("sheet-open");
    if (!p.detailed) loadDetails(id);
    fetchNextDetails();
  }

  // the next to review, fetched ahead: j shows its evidence at once
  function fetchNextDetails() {
    for (let index = current + 1; index < marks.length; index += 1) {
      const p = proposals[marks[index].dataset.proposalId];
      if (needsReview(p)) { if (!p.detailed) loadDetails(String(p.id)); return; }
    }
  }

  function refreshMark(id) {
    const p = proposals[id];
    const mark = marks[indexById.get(String(id))];
    if (!mark) return;
    dress(mark);
    mark.classList.remove("status-pending", "status-accepted", "status-rejected");
    mark.classList.add("status-" + p.status, "touched");
    mark.classList.toggle("needs-review", needsReview(p));
    const shown = shownReading(p);
    mark.querySelector("ins").textContent = shown;
    mark.setAttribute("role", "button");
    mark.setAttribute("aria-label", p.rule + ": " + p.original + " → " + shown + ", " + p.status);
  }

  function refreshCounts() {
    const counts = { pending: 0, accepted: 0, rejected: 0, applied: 0 };
    for (const p of Object.values(proposals)) {
      counts[p.status] += 1;
      if (p.status === "accepted" || (p.status === "pending" && p.auto)) counts.applied += 1;
    }
    document.getElementById("count-review").textContent = leftToReview();
    for (const name of ["accepted", "rejected", "applied"]) document.getElementById("count-" + name).textContent = counts[name];
    barPosition.textContent = positionWords();
    if (current >= 0) positionLabel.textContent = positionWords();
  }

  function say(text, isError, action) {
    message.replaceChildren(document.createTextNode(text));
    if (action) {
      const button = element("button", action.label, "inline-action");
      button.type = "button";
      button.addEventListener("click", action.run);
      message.append(" ", button);
    }
    message.classList.toggle("error", Boolean(isError));
    clearTimeout(say.timer);
    if (!isError && !action) say.timer = setTimeout(() => { if (message.firstChild && message.firstChild.textContent === text) message.replaceChildren(); }, 6000);
  }

  // --- navigation ---------------------------------------------------------------------------
  function select(index, scroll) {
    if (index < 0 || index >= marks.length) return;
    if (current >= 0) marks[current].classList.remove("current");
    textBox.querySelectorAll(".variant.current").forEach((node) => node.classList.remove("current"));
    current = index;
    const mark = marks[current];
    dress(mark);
    mark.classList.add("current");
    if (scroll !== false) {
      const box = mark.getBoundingClientRect();
      const bar = document.getElementById("decision-bar").getBoundingClientRect();
      const sheet = document.getElementById("current").getBoundingClientRect();
      const bottom = Math.min(bar.top, window.innerWidth <= 760 ? sheet.top : bar.top) - 12;
      if (box.top < 120 || box.bottom > bottom) mark.scrollIntoView({ block: "start" });
    }
    showCurrent();
  }

  const focusMode = document.getElementById("focus-mode");
  const visits = { review: needsReview, pending: (p) => p.status === "pending", all: () => true };

  function step(direction, follow) {
    const mode = follow ? focusMode.value : "all";
    for (let index = current + direction; index >= 0 && index < marks.length; index += direction) {
      if (visits[mode](proposals[marks[index].dataset.proposalId])) { select(index); marks[index].focus({ preventScroll: true }); return true; }
    }
    if (direction > 0 && mode === "review") endOfDocument();
    else say(mode === "all" ? "no more proposals this way" : "no more proposals this way to " + (mode === "review" ? "review" : "decide"));
    return false;
  }

  function endOfDocument() {
    const left = leftToReview();
    const nextUrl = root.dataset.nextWorkUrl;
    const where = left ? left + " left to review above (k goes back)." : "Nothing left to review in this document.";
    if (nextUrl) say(where + " Next document with work: " + root.dataset.nextWorkName + " (n).", false, { label: "Open it", run: () => { window.location = nextUrl; } });
    else say(where + " No other document has work.", false, { label: "Queue", run: () => { window.location = root.dataset.queueUrl; } });
  }

  // n: the next to review; after the last, the next document with work
  function nextWork() {
    for (let index = current + 1; index < marks.length; index += 1) {
      if (needsReview(proposals[marks[index].dataset.proposalId])) { select(index); marks[index].focus({ preventScroll: true }); return; }
    }
    const firstLeft = marks.findIndex((mark) => needsReview(proposals[mark.dataset.proposalId]));
    if (firstLeft >= 0 && firstLeft <= current) { select(firstLeft); marks[firstLeft].focus({ preventScroll: true }); say("back to the first one left to review"); return; }
    if (root.dataset.nextWorkUrl) window.location = root.dataset.nextWorkUrl;
    else say("Nothing left to review in the collection.", false, { label: "Queue", run: () => { window.location = root.dataset.queueUrl; } });
  }

  // --- decisions ----------------------------------------------------------------------------
  function takeComment() {
    const comment = commentInput.value.trim();
    commentInput.value = "";
    return comment || null;
  }

  async function decide(status, options) {
    const settings = options || {};
    if (current < 0) { step(1, true); return; }
    const id = marks[current].dataset.proposalId;
    const p = proposals[id];
    const previous = { status: p.status, reading: p.reading };
    const reading = settings.reading === undefined ? null : settings.reading;
    if (previous.status === status && reading === null && !settings.isUndo && !commentInput.value.trim()) { if (status !== "pending") step(1, true); return; }
    const payload = { status, version: p.version, decided_by: reviewer(), comment: settings.isUndo ? null : takeComment() };
    if (reading !== null) payload.reading = reading;
    try {
      const stored = await api("/v1/proposals/" + id, { method: "PATCH", body: payload });
      Object.assign(p, { status: stored.status, version: stored.version, reading: stored.reading, comment: stored.comment, decided_by: stored.decided_by });
      p.history = (p.history || []).concat([{ status: stored.status, reading: stored.reading, comment: stored.comment, decided_by: stored.decided_by, decided_at: stored.decided_at || new Date().toISOString(), batch: null }]);
      if (!settings.isUndo) undoStack.push({ kind: "one", id, previous });
      refreshMark(id);
      refreshCounts();
      showCurrent();
      const words = status === "pending" ? "back to pending" : status + (reading !== null ? " as " + quoted(reading) : "");
      say(words + (settings.isUndo ? " (undone)" : ""), false, settings.isUndo ? null : { label: "Undo (u)", run: undo });
      if (status !== "pending" && !settings.isUndo) step(1, true);
    } catch (error) {
      say("could not save: " + error.message + (error.status === 409 ? " — reload to see the latest" : ""), true);
    }
  }

  async function undo() {
    const last = undoStack.pop();
    if (!last) { say("nothing to undo"); return; }
    if (last.kind === "bulk") { await undoBulk(last); return; }
    select(indexById.get(last.id));
    await decide(last.previous.status, { isUndo: true, reading: last.previous.reading });
  }

  // --- a typed correction: of the current proposal, or of a span selected in the text --------
  const correctionForm = document.getElementById("correction-form");
  const correctionInput = document.getElementById("correction-input");
  const correctionLabel = document.getElementById("correction-label");
  let selectedSpan = null;  // {start, end, original} while correcting a selected span

  // the offset in the original text of a point in the page's text (null inside a proposal, whose
  // span shows two readings): plain runs, variants and the marked place hold the original as is
  function originalOffset(node, offset) {
    let total = 0;
    for (const child of textBox.childNodes) {
      if (child === node || child.contains(node)) {
        if (child.nodeType === Node.ELEMENT_NODE && child.classList.contains("proposal")) return null;
        return total + offset;
      }
      if (child.nodeType === Node.ELEMENT_NODE && child.classList.contains("proposal")) {
        const p = proposals[child.dataset.proposalId];
        total += p.end - p.start;
      } else total += child.textContent.length;
    }
    return null;
  }

  function selectedText() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    const range = selection.getRangeAt(0);
    if (!textBox.contains(range.startContainer) || !textBox.contains(range.endContainer)) return null;
    const start = originalOffset(range.startContainer, range.startOffset);
    const end = originalOffset(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return null;
    return { start, end, original: range.toString(), range: range.cloneRange() };  // typing in the field moves the selection
  }

  function openCorrection() {
    selectedSpan = selectedText();
    if (selectedSpan) {
      correctionLabel.textContent = "Right reading of " + quoted(selectedSpan.original);
      correctionInput.value = selectedSpan.original;
    } else {
      if (current < 0) { step(1, true); if (current < 0) return; }
      const p = proposals[marks[current].dataset.proposalId];
      correctionLabel.textContent = "Right reading";
      correctionInput.value = shownReading(p);
    }
    correctionForm.hidden = false;
    correctionInput.focus();
    correctionInput.select();
  }
  function closeCorrection() { correctionForm.hidden = true; if (current >= 0) marks[current].focus({ preventScroll: true }); }

  // a reviewer's own correction where the engine proposed nothing: stored, then put in the text
  async function correctSpan(span, reading) {
    try {
      const stored = await api("/v1/documents/" + documentId + "/corrections", {
        method: "POST", body: { start: span.start, end: span.end, original: span.original, reading, comment: takeComment(), decided_by: reviewer() },
      });
      stored.history = [{ status: stored.status, reading, comment: stored.comment, decided_by: stored.decided_by, decided_at: stored.decided_at, batch: null }];
      stored.places = [];
      stored.detailed = true;
      proposals[stored.id] = stored;
      const range = span.range;
      const mark = element("span", null, "proposal status-accepted kind-review touched");
      Object.assign(mark, { id: "p" + stored.id, tabIndex: -1 });
      mark.dataset.proposalId = String(stored.id);
      mark.dataset.rule = stored.rule;
      mark.setAttribute("role", "button");
      mark.append(element("del", visible(stored.original)), element("ins", stored.replacement));
      range.deleteContents();
      range.insertNode(mark);
      reindex();
      select(indexById.get(String(stored.id)), false);
      say("your reading " + quoted(reading) + " is in the text", false, null);
    } catch (error) {
      say("could not save: " + error.message, true);
    }
  }

  correctionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = correctionInput.value;
    const span = selectedSpan;
    correctionForm.hidden = true;
    if (span) await correctSpan(span, value);
    else { closeCorrection(); await decide("accepted", { reading: value }); }
  });
  document.getElementById("correction-cancel").addEventListener("click", closeCorrection);
  correctionInput.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.preventDefault(); closeCorrection(); } });

  // --- bulk decisions: count first, then decide, undo as one step -----------------------------
  const bulkForm = document.getElementById("bulk-form");
  function bulkFilter() {
    const filter = { document_id: documentId, rule: document.getElementById("bulk-rule").value };
    const low = document.getElementById("bulk-min").value, high = document.getElementById("bulk-max").value;
    if (low !== "") filter.min_confidence = Number(low);
    if (high !== "") filter.max_confidence = Number(high);
    return filter;
  }

  async function refreshProposals() {
    const stored = await api("/v1/documents/" + documentId + "/proposals");
    for (const item of stored) {
      const p = proposals[item.id];
      if (!p || (p.status === item.status && p.version === item.version)) continue;
      Object.assign(p, { status: item.status, version: item.version, reading: item.reading, comment: item.comment, decided_by: item.decided_by });
      refreshMark(String(item.id));
    }
    refreshCounts();
    if (current >= 0) showCurrent();
  }

  if (bulkForm) {
    const preview = document.getElementById("bulk-preview");
    const confirm = document.getElementById("bulk-confirm");
    const resetPreview = () => { confirm.hidden = true; preview.textContent = ""; };
    bulkForm.addEventListener("change", resetPreview);
    bulkForm.addEventListener("submit", (event) => event.preventDefault());
    document.getElementById("bulk-count").addEventListener("click", async () => {
      const filter = bulkFilter();
      if (!filter.rule) { preview.textContent = "Choose a rule first."; document.getElementById("bulk-rule").focus(); return; }
      try {
        const result = await api("/v1/proposals/decisions", { method: "POST", body: Object.assign({ status: "accepted", preview: true }, filter) });
        preview.textContent = result.updated + " pending " + filter.rule + " proposal" + (result.updated === 1 ? "" : "s") + " with confidence " + (filter.min_confidence ?? 0) + "–" + (filter.max_confidence ?? 1) + ".";
        confirm.hidden = result.updated === 0;
        if (result.updated) {
          document.getElementById("bulk-accept").textContent = "Accept " + result.updated;
          document.getElementById("bulk-reject").textContent = "Reject " + result.updated;
        }
      } catch (error) { preview.textContent = "could not count: " + error.message; }
    });
    const bulkDecide = async (status) => {
      const filter = bulkFilter();
      try {
        const result = await api("/v1/proposals/decisions", { method: "POST", body: Object.assign({ status, decided_by: reviewer() }, filter) });
        resetPreview();
        if (result.batch) undoStack.push({ kind: "bulk", batch: result.batch, count: result.updated });
        await refreshProposals();
        say(status + " " + result.updated + " " + filter.rule + " proposal" + (result.updated === 1 ? "" : "s"), false, result.batch ? { label: "Undo all " + result.updated + " (u)", run: undo } : null);
      } catch (error) { say("bulk decision failed: " + error.message, true); }
    };
    document.getElementById("bulk-accept").addEventListener("click", () => bulkDecide("accepted"));
    document.getElementById("bulk-reject").addEventListener("click", () => bulkDecide("rejected"));
  }

  async function undoBulk(entry) {
    try {
      const result = await api("/v1/proposals/decisions/" + entry.batch + "/undo", { method: "POST", body: {}, headers: {} });
      await refreshProposals();
      say("undid the bulk decision: " + result.restored + " of " + entry.count + " restored" + (result.restored < entry.count ? " (the rest were decided again since)" : ""));
    } catch (error) { undoStack.push(entry); say("could not undo: " + error.message, true); }
  }

  // --- showing applied edits by rule ---------------------------------------------------------
  const ruleBoxes = Array.from(document.querySelectorAll(".show-rule"));
  const allRules = document.getElementById("show-all-rules");
  function applyRuleToggles() {
    const shown = new Set(ruleBoxes.filter((box) => box.checked).map((box) => box.value));
    for (const mark of marks) {
      const show = shown.has(proposals[mark.dataset.proposalId].rule);
      if (show) dress(mark);
      mark.classList.toggle("shown", show);
    }
  }
  ruleBoxes.forEach((box) => box.addEventListener("change", () => { allRules.checked = ruleBoxes.every((other) => other.checked); applyRuleToggles(); }));
  if (allRules) allRules.addEventListener("change", () => { ruleBoxes.forEach((box) => { box.checked = allRules.checked; }); applyRuleToggles(); });
  function toggleAllRules() { if (!allRules) return; allRules.checked = !allRules.checked; allRules.dispatchEvent(new Event("change")); say(allRules.checked ? "showing every applied edit" : "showing only what needs a decision"); }
  const variantBox = document.getElementById("show-variants");
  if (variantBox) variantBox.addEventListener("change", () => textBox.classList.toggle("show-variants", variantBox.checked));

  // --- wiring -------------------------------------------------------------------------------
  function showVariant(node) {
    const v = variants[Number(node.dataset.variantIndex)];
    if (!v) return;
    if (current >= 0) marks[current].classList.remove("current");
    textBox.querySelectorAll(".variant.current").forEach((other) => other.classList.remove("current"));
    node.classList.add("current");
    body.className = "";
    body.replaceChildren(variantDetails(v));
    positionLabel.textContent = "variant";
    document.body.classList.add("sheet-open");
  }

  textBox.addEventListener("click", (event) => {
    const mark = event.target.closest(".proposal");
    if (mark) { select(indexById.get(mark.dataset.proposalId), false); return; }
    const variant = event.target.closest(".variant");
    if (variant) showVariant(variant);
  });
  textBox.addEventListener("focusin", (event) => {
    const mark = event.target.closest(".proposal");
    if (mark && indexById.get(mark.dataset.proposalId) !== current) select(indexById.get(mark.dataset.proposalId), false);
    const variant = event.target.closest(".variant");
    if (variant) showVariant(variant);
  });
  textBox.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target.closest(".proposal, .variant")) { event.preventDefault(); event.target.click(); }
  });
  document.getElementById("accept-button").addEventListener("click", () => decide("accepted"));
  document.getElementById("reject-button").addEventListener("click", () => decide("rejected"));
  document.getElementById("reset-button").addEventListener("click", () => decide("pending"));
  document.getElementById("correct-button").addEventListener("click", openCorrection);
  document.getElementById("undo-button").addEventListener("click", undo);
  document.getElementById("next-button").addEventListener("click", nextWork);
  document.getElementById("close-sheet").addEventListener("click", () => document.body.classList.remove("sheet-open"));

  const keys = {
    j: () => step(1, true), k: () => step(-1, true), J: () => step(1, false), K: () => step(-1, false),
    ArrowDown: () => step(1, true), ArrowUp: () => step(-1, true), n: nextWork,
    a: () => decide("accepted"), r: () => decide("rejected"), x: () => decide("rejected"), p: () => decide("pending"),
    c: openCorrection, m: () => commentInput.focus(), u: undo, t: toggleAllRules, "?": toggleHelp,
    "/": () => { window.location = root.dataset.queueUrl; },
    "[": () => { if (root.dataset.previousUrl) window.location = root.dataset.previousUrl; },
    "]": () => { if (root.dataset.nextUrl) window.location = root.dataset.nextUrl; },
  };
  focusMode.addEventListener("change", () => focusMode.blur());
  commentInput.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === "Escape") { event.preventDefault(); commentInput.blur(); } });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event) || (help && help.open)) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // a link to a proposal (#p123, from the queue) selects it; a link to a place (#place) shows it
  function openFromHash() {
    const hash = window.location.hash.slice(1);
    if (/^p\d+$/.test(hash) && indexById.has(hash.slice(1))) { select(indexById.get(hash.slice(1))); marks[current].focus({ preventScroll: true }); }
    else if (hash === "place") { const place = document.getElementById("place"); if (place) { place.scrollIntoView({ block: "center" }); place.focus({ preventScroll: true }); } }
  }
  // the sheet and the text's bottom margin follow the decision bar's height (it wraps when narrow)
  const bar = document.getElementById("decision-bar");
  const fitBar = () => document.documentElement.style.setProperty("--bar-height", Math.ceil(bar.getBoundingClientRect().height) + "px");
  new ResizeObserver(fitBar).observe(bar);  // its first call fits the bar in the first frame: no layout forced here
  openFromHash();
  window.addEventListener("hashchange", openFromHash);
  refreshCounts();
  window.jiaokanReview = { proposals, variants, select, decide, undo, api };  // for tests and the console
  // bench/bench_review.py reads these: the script has run (the keys work), and the first frame
  // drawn after it (the text with its marked proposals is on screen)
  performance.mark("jiaokan-review-ready");
  requestAnimationFrame(() => setTimeout(() => performance.mark("jiaokan-review-painted"), 0));
})();
