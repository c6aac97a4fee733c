/*
 * Social Inbox web chat: the widget a business pastes into its website.
 *
 *   <script src="https://inbox.example.com/chat/<channel-id>/widget.js" async></script>
 *
 * One dependency-free file, no build step. It finds its own <script> element, derives the
 * gateway's base URL and the channel id from its src, loads widget.css from the same place,
 * starts (or resumes) a visitor session, shows the history and keeps a WebSocket open for live
 * messages, with a long-poll fallback. The visitor API it speaks is in the README ("Web chat").
 * Everything that comes from the API or the visitor goes into the page through textContent and
 * setAttribute only, never parsed as HTML.
 *
 * Globals: window.__inboxChatLoaded (the double-inclusion guard) and window.InboxChat (read-only
 * state for tests). Every element id and class starts with inbox-chat-.
 */
(() => {
  "use strict";

  if (window.__inboxChatLoaded) return;
  window.__inboxChatLoaded = true;

  const origin = locateOrigin();
  if (!origin) {
    console.warn('inbox-chat: cannot find my <script src=".../chat/<channel-id>/widget.js">');
    return;
  }
  const { base, channelId } = origin;
  const apiBase = `${base}/chat/v1/${encodeURIComponent(channelId)}`;
  const storageKey = `inbox-chat:${channelId}`;
  const PING_INTERVAL_MS = 25000;
  const RANK = { pending: -1, failed: -1, sent: 0, delivered: 1, read: 2 };

  const state = {
    token: null,
    expiresAt: 0,
    visitorId: null,
    config: null,
    cursor: 0, // the highest transcript version received from the stream (or the first history page)
    open: false,
    hasMore: false, // the server has messages older than the oldest one shown
    oldestSeq: null,
    unread: 0,
  };
  const byId = new Map(); // server message id → entry { m, el, parts, retrying }
  const byClientId = new Map(); // client_id → entry: our own messages, pending or confirmed
  const outbox = []; // entries the server has not accepted yet, sent one at a time, in order
  const receiptSent = new Map(); // message id → the rank acknowledged on this connection
  const ui = {};

  // ---- Where we were loaded from --------------------------------------------------------------

  /** The base URL and channel id from this script's src: document.currentScript, else the last
   *  matching <script> (currentScript is null when the file runs from a callback). */
  function locateOrigin() {
    const pattern = /^(.*)\/chat\/([^/]+)\/widget\.js$/;
    const all = document.querySelectorAll('script[src*="/chat/"][src$="/widget.js"]');
    for (const element of [document.currentScript, all[all.length - 1]]) {
      if (!element || !element.src) continue;
      const found = quietly(() => {
        const url = new URL(element.src, document.baseURI);
        const match = pattern.exec(url.pathname);
        return match && { base: url.origin + match[1], channelId: decodeURIComponent(match[2]) };
      });
      if (found) return found;
    }
    return null;
  }

  /** Runs fn, or answers null when it throws (a disabled localStorage, a closed socket). */
  function quietly(fn) {
    try {
      return fn();
    } catch (e) {
      return null;
    }
  }
  // Without localStorage (privacy modes) the session lasts as long as the page.
  const storedToken = () => quietly(() => window.localStorage.getItem(storageKey));
  const storeToken = (token) => quietly(() => window.localStorage.setItem(storageKey, token));

  // ---- HTTP -----------------------------------------------------------------------------------

  /** A failed API call: `status` 0 for a network failure or timeout, else the HTTP status. */
  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message || code);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter; // seconds; 0 when absent (or not exposed to us by CORS)
    }
  }

  const retryable = (e) => e instanceof ApiError && (e.status === 0 || e.status === 429 || e.status >= 500);
  const jitter = (ms) => Math.round(ms * (1 + Math.random() * 0.25));
  const backoff = (attempt) => jitter(Math.min(15000, 500 * Math.pow(2, attempt))); // 0.5 s … 15 s

  async function request(method, path, body, options) {
    const opts = options || {};
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.timeout || 20000);
    if (opts.signal) opts.signal.addEventListener("abort", () => controller.abort());
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.auth !== false && state.token) headers.Authorization = `Bearer ${state.token}`;
    const init = { method, headers, mode: "cors", credentials: "omit", cache: "no-store", signal: controller.signal };
    if (body !== undefined) init.body = JSON.stringify(body);
    let response;
    let payload = null;
    try {
      response = await fetch(apiBase + path, init);
      payload = await response.json().catch(() => null);
    } catch (e) {
      throw new ApiError(0, "network", "The network is unreachable.", 0);
    } finally {
      clearTimeout(timer);
    }
    const ok = payload && typeof payload === "object";
    if (response.ok && ok) return payload;
    if (response.ok) throw new ApiError(502, "bad_response", "The server sent no JSON object.", 0);
    const error = ok && payload.error && typeof payload.error === "object" ? payload.error : {};
    const retryAfter = Number(response.headers.get("Retry-After"));
    throw new ApiError(
      response.status,
      typeof error.code === "string" ? error.code : `http_${response.status}`,
      typeof error.message === "string" ? error.message : "",
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 0,
    );
  }

  /** An authenticated call; a refused (expired) token starts a new session once and retries. */
  async function call(method, path, body, options) {
    try {
      return await request(method, path, body, options);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      await startSession();
      return request(method, path, body, options);
    }
  }

  // Sleeps that the browser's "online" event cuts short: a retry after a network failure should
  // not wait out its backoff once the network is back (a Retry-After is always honoured).
  let wakers = [];
  function nap(ms, wakeable) {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakers = wakers.filter((other) => other !== wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (wakeable) wakers.push(wake);
    });
  }
  const waitAfter = (e, attempt) => (e.retryAfter ? nap(e.retryAfter * 1000, false) : nap(backoff(attempt), true));

  /** Runs fn until it succeeds or fails for good (a 4xx other than 429), with backoff. */
  async function withRetry(fn, onRetry) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!retryable(e)) throw e;
        if (onRetry) onRetry(e);
        await waitAfter(e, attempt);
      }
    }
  }

  // ---- Session --------------------------------------------------------------------------------

  let sessionPromise = null;
  let refreshTimer = null;

  /** POST /sessions with the stored token: the same visitor with a fresh token, or a new visitor.
   *  Shared by concurrent callers. Another visitor than before (the channel's key was rotated,
   *  the token was too old) clears the transcript and starts over (restart). */
  function startSession() {
    if (sessionPromise) return sessionPromise;
    sessionPromise = (async () => {
      try {
        const previous = storedToken() || state.token;
        const session = await request("POST", "/sessions", previous ? { token: previous } : {}, { auth: false });
        if (typeof session.token !== "string" || typeof session.visitor_id !== "string") {
          throw new ApiError(502, "bad_response", "The session answer has no token.", 0);
        }
        const changed = state.visitorId !== null && state.visitorId !== session.visitor_id;
        state.token = session.token;
        state.expiresAt = Date.parse(session.expires_at) || 0;
        state.visitorId = session.visitor_id;
        state.config = readConfig(session.config);
        storeToken(session.token);
        scheduleRefresh();
        if (changed) setTimeout(restart, 0);
        if (ui.root) applyConfig();
        return session;
      } finally {
        sessionPromise = null;
      }
    })();
    return sessionPromise;
  }

  /** Renews the token well before it expires, and re-reads the config (business hours begin and
   *  end) at least every 10 minutes. */
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    const half = state.expiresAt ? (state.expiresAt - Date.now()) / 2 : Infinity;
    refreshTimer = setTimeout(() => {
      withRetry(startSession).then(render, () => scheduleRefresh());
    }, Math.max(30000, Math.min(600000, half)));
  }

  function readConfig(raw) {
    const c = raw && typeof raw === "object" ? raw : {};
    const text = (v) => (typeof v === "string" ? v : "");
    const max = Number(c.max_message_chars);
    return {
      displayName: text(c.display_name) || "Chat",
      greeting: text(c.greeting),
      offlineMessage: text(c.offline_message),
      online: c.online !== false,
      hideWhenOffline: c.outside_hours === "hide",
      maxChars: Number.isInteger(max) && max > 0 ? max : 4000,
    };
  }

  const hiddenByHours = () => !state.config.online && state.config.hideWhenOffline;

  // ---- DOM ------------------------------------------------------------------------------------

  /** An element with attributes (class included) and an optional text, never HTML. */
  function h(tag, attributes, text) {
    const element = document.createElement(tag);
    Object.keys(attributes || {}).forEach((name) => element.setAttribute(name, attributes[name]));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const path = document.createElementNS(ns, "path");
    const set = (el, attrs) => Object.keys(attrs).forEach((name) => el.setAttribute(name, attrs[name]));
    set(svg, { viewBox: "0 0 24 24", width: "28", height: "28", "aria-hidden": "true", focusable: "false" });
    const bubble = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
    set(path, { fill: "currentColor", d: bubble });
    svg.appendChild(path);
    return svg;
  }

  function loadStylesheet() {
    return new Promise((resolve) => {
      const link = h("link", { rel: "stylesheet", href: `${base}/chat/${encodeURIComponent(channelId)}/widget.css` });
      link.addEventListener("load", resolve);
      link.addEventListener("error", resolve); // unstyled rather than not at all
      setTimeout(resolve, 5000);
      (document.head || document.documentElement).appendChild(link);
    });
  }

  /** The launcher and the panel, appended to <body>; invisible until widget.css has loaded. */
  function buildUi(stylesheet) {
    const root = h("div", { id: "inbox-chat-root", class: "inbox-chat-root", style: "display: none" });
    const launcher = h("button", { id: "inbox-chat-launcher", type: "button", "aria-label": "Open chat" });
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "inbox-chat-panel");
    const badge = h("span", { id: "inbox-chat-badge", "aria-hidden": "true", hidden: "" });
    launcher.append(chatIcon(), badge);
    const panel = h("div", { id: "inbox-chat-panel", role: "dialog", hidden: "" });
    const header = h("div", { class: "inbox-chat-header" });
    const title = h("div", { id: "inbox-chat-title", class: "inbox-chat-title" });
    const close = h("button", { id: "inbox-chat-close", type: "button", "aria-label": "Close chat" }, "\u00d7");
    header.append(title, close);
    const offline = h("div", { id: "inbox-chat-offline", role: "note" });
    const status = h("div", { id: "inbox-chat-status", role: "status" });
    // tabindex: the log scrolls, so a keyboard must be able to reach it.
    const log = h("div", { id: "inbox-chat-log", role: "log", "aria-live": "polite", "aria-label": "Messages" });
    log.setAttribute("tabindex", "0");
    const greeting = h("div", { id: "inbox-chat-greeting" });
    const more = h("button", { id: "inbox-chat-more", type: "button", hidden: "" }, "Show earlier messages");
    log.append(greeting, more);
    // "Ana is typing…" while an agent types (a `typing` frame); hidden otherwise.
    const typing = h("div", { id: "inbox-chat-typing", role: "status", "aria-live": "polite" });
    const error = h("div", { id: "inbox-chat-error", role: "alert" });
    const form = h("form", { id: "inbox-chat-form", novalidate: "" });
    const label = h("label", { class: "inbox-chat-sr-only", for: "inbox-chat-input" }, "Your message");
    const input = h("textarea", { id: "inbox-chat-input", rows: "1", placeholder: "Write a message\u2026" });
    input.setAttribute("autocomplete", "off");
    const send = h("button", { id: "inbox-chat-send", type: "submit" }, "Send");
    form.append(label, input, send);
    panel.append(header, offline, status, log, typing, error, form);
    root.append(panel, launcher);
    document.body.appendChild(root);
    Object.assign(ui, { root, launcher, badge, panel, title, offline, status, log, greeting, more, typing, error, input });

    launcher.addEventListener("click", () => (state.open ? closePanel() : openPanel()));
    close.addEventListener("click", closePanel);
    const handled = (event, action) => {
      event.preventDefault();
      action();
    };
    root.addEventListener("keydown", (event) => event.key === "Escape" && state.open && handled(event, closePanel));
    form.addEventListener("submit", (event) => handled(event, submit));
    input.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter is a new line; never while an input method is composing.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        handled(event, submit);
      }
    });
    input.addEventListener("input", autosize);
    more.addEventListener("click", loadEarlier);
    setStatus("Connecting\u2026");
    applyConfig();
    stylesheet.then(() => root.style.removeProperty("display"));
  }

  function applyConfig() {
    const c = state.config;
    ui.panel.setAttribute("aria-label", c.displayName);
    ui.title.textContent = c.displayName;
    ui.greeting.textContent = c.greeting;
    ui.greeting.hidden = !c.greeting;
    ui.offline.textContent = c.offlineMessage;
    ui.offline.hidden = c.online || !c.offlineMessage;
    ui.input.maxLength = c.maxChars;
    // Outside business hours with "hide": no launcher (an open conversation stays until closed).
    ui.root.hidden = hiddenByHours() && !state.open;
  }

  function openPanel() {
    state.open = true;
    state.unread = 0;
    updateBadge();
    ui.panel.hidden = false;
    ui.root.classList.add("inbox-chat-is-open");
    ui.launcher.setAttribute("aria-expanded", "true");
    scrollToBottom();
    ui.input.focus();
    scheduleReceipts();
  }

  function closePanel() {
    state.open = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("inbox-chat-is-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    applyConfig();
    if (!ui.root.hidden) ui.launcher.focus();
  }

  function updateBadge() {
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    ui.badge.hidden = state.unread === 0;
    ui.launcher.setAttribute("aria-label", state.unread ? `Open chat (${state.unread} new)` : "Open chat");
  }

  function setStatus(text) {
    if (ui.status && ui.status.textContent !== text) ui.status.textContent = text;
  }

  function autosize() {
    ui.input.style.height = "auto";
    const height = ui.input.scrollHeight + 2; // + the borders
    ui.input.style.height = `${Math.min(height, 120)}px`;
    ui.input.style.overflowY = height > 120 ? "auto" : "hidden";
  }

  const nearBottom = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 48;
  const scrollToBottom = () => {
    ui.log.scrollTop = ui.log.scrollHeight;
  };

  // ---- Messages -------------------------------------------------------------------------------

  const validMessage = (m) =>
    m && typeof m === "object" && typeof m.id === "string" && m.id !== "" && Number.isFinite(m.seq);
  const versionOf = (m) => (Number.isFinite(m.version) ? m.version : 0);

  function createElement(entry) {
    const parts = {
      author: h("div"),
      text: h("div", { class: "inbox-chat-text" }),
      time: h("time", { class: "inbox-chat-time" }),
      tick: h("span", { class: "inbox-chat-tick", "aria-hidden": "true" }),
      tickLabel: h("span", { class: "inbox-chat-sr-only" }),
    };
    const meta = h("div", { class: "inbox-chat-meta" });
    meta.append(parts.time, parts.tick, parts.tickLabel);
    entry.el = h("div");
    entry.el.append(parts.author, parts.text, meta);
    entry.parts = parts;
    paint(entry);
  }

  /** Writes the entry's message into its element (text through textContent only). */
  function paint(entry) {
    const { m, el, parts } = entry;
    const agent = m.direction === "agent";
    const messageState = typeof m.state === "string" ? m.state : "sent";
    el.className = `inbox-chat-message ${agent ? "inbox-chat-from-agent" : "inbox-chat-from-visitor"}`;
    el.setAttribute("data-id", m.id || "");
    el.setAttribute("data-direction", agent ? "agent" : "visitor");
    el.setAttribute("data-state", messageState);
    if (Number.isFinite(m.seq)) el.setAttribute("data-seq", String(m.seq));
    if (typeof m.client_id === "string") el.setAttribute("data-client-id", m.client_id);
    parts.author.className = agent ? "inbox-chat-author" : "inbox-chat-sr-only";
    parts.author.textContent = agent ? (typeof m.author === "string" && m.author) || state.config.displayName : "You";
    parts.text.textContent = typeof m.text === "string" ? m.text : "";
    const created = new Date(m.created_at);
    if (!isNaN(created.getTime())) {
      parts.time.dateTime = created.toISOString();
      parts.time.textContent = created.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }
    // Visitor messages: ◷ until the server has them, then ✓ (agents' messages carry no tick).
    let tick = ["", ""];
    if (!agent && messageState === "pending") tick = ["\u25f7", entry.retrying ? "Not sent yet, retrying" : "Sending"];
    else if (!agent && messageState === "failed") tick = ["!", "Not sent"];
    else if (!agent) tick = ["\u2713", "Sent"];
    parts.tick.textContent = tick[0];
    parts.tick.title = tick[1];
    parts.tickLabel.textContent = tick[1];
  }

  /** Puts a message element in seq order; pending messages (no seq yet) stay at the end. */
  function place(element, seq) {
    for (const other of ui.log.querySelectorAll(".inbox-chat-message")) {
      const otherSeq = other.getAttribute("data-seq");
      if (other !== element && (otherSeq === null || Number(otherSeq) > seq)) {
        ui.log.insertBefore(element, other);
        return;
      }
    }
    ui.log.appendChild(element);
  }

  /** Adds a message, or replaces the one with its id (or our pending one with its client_id).
   *  `live`: from the stream or the long-poll, not from a history page. */
  function upsert(m, live) {
    if (!validMessage(m)) return;
    const stick = nearBottom();
    let entry = byId.get(m.id) || (typeof m.client_id === "string" ? byClientId.get(m.client_id) : undefined);
    if (entry) {
      if (entry.m.id && versionOf(m) < versionOf(entry.m)) return; // older news than shown
      const moved = entry.m.seq !== m.seq;
      entry.m = m;
      entry.retrying = false;
      byId.set(m.id, entry);
      paint(entry);
      if (moved) place(entry.el, m.seq);
    } else {
      // A change to a message older than the loaded page: paging back shows it.
      if (live && state.hasMore && state.oldestSeq !== null && m.seq < state.oldestSeq) return;
      entry = { m, el: null, parts: null, retrying: false };
      byId.set(m.id, entry);
      if (typeof m.client_id === "string") byClientId.set(m.client_id, entry);
      createElement(entry);
      place(entry.el, m.seq);
      if (live && m.direction === "agent" && !state.open) {
        state.unread += 1;
        updateBadge();
      }
    }
    if (state.oldestSeq === null || m.seq < state.oldestSeq) state.oldestSeq = m.seq;
    if (stick || (live && m.direction !== "agent")) scrollToBottom();
  }

  /** A page of history: the latest 50, or the 50 before `before`. */
  async function loadHistory(before) {
    const query = before ? `?before=${encodeURIComponent(before)}&limit=50` : "?limit=50";
    const page = await withRetry(() => call("GET", `/messages${query}`));
    state.hasMore = page.has_more === true;
    for (const m of Array.isArray(page.messages) ? page.messages : []) {
      upsert(m, false);
      // The stream resumes after the newest version of the first page (a later change to an
      // older message is replayed, and ignored by upsert unless that message is shown).
      if (!before && validMessage(m) && versionOf(m) > state.cursor) state.cursor = versionOf(m);
    }
    ui.more.hidden = !state.hasMore;
    scheduleReceipts();
  }

  async function loadEarlier() {
    if (state.oldestSeq === null) return;
    ui.more.disabled = true;
    const height = ui.log.scrollHeight;
    const top = ui.log.scrollTop;
    try {
      await loadHistory(state.oldestSeq);
      ui.log.scrollTop = ui.log.scrollHeight - height + top; // keep what was on screen in place
    } catch (e) {
      ui.error.textContent = "Earlier messages could not be loaded.";
    } finally {
      ui.more.disabled = false;
    }
  }

  // ---- Sending --------------------------------------------------------------------------------

  function newClientId() {
    const c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID(); // secure contexts only
    const bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function submit() {
    const text = ui.input.value.trim();
    if (!text) return;
    if (text.length > state.config.maxChars) {
      ui.error.textContent = `A message can be at most ${state.config.maxChars} characters.`;
      return;
    }
    ui.error.textContent = "";
    ui.input.value = "";
    autosize();
    const m = { id: null, client_id: newClientId(), seq: null, version: 0, direction: "visitor", text };
    Object.assign(m, { author: null, created_at: new Date().toISOString(), state: "pending" });
    const entry = { m, el: null, parts: null, retrying: false };
    byClientId.set(m.client_id, entry);
    createElement(entry);
    ui.log.appendChild(entry.el);
    scrollToBottom();
    outbox.push(entry);
    pumpOutbox();
  }

  function sendFailure(e) {
    if (e instanceof ApiError && e.status === 413) return "That message is too long to send.";
    if (e instanceof ApiError && e.status === 400 && e.message) return e.message;
    if (e instanceof ApiError && e.status === 403) return "This website may not use this chat.";
    return "The message could not be sent.";
  }

  let pumping = false;

  /** Sends the outbox in order, each message until the server has it: a network failure, a 5xx or
   *  a 429 is retried with the same client_id (the server answers a repeat with the message it
   *  already has), so a flaky network neither loses nor doubles a message. */
  async function pumpOutbox() {
    if (pumping) return;
    pumping = true;
    try {
      while (outbox.length) {
        const entry = outbox[0];
        try {
          const body = { client_id: entry.m.client_id, text: entry.m.text };
          const retrying = () => {
            entry.retrying = true;
            paint(entry);
          };
          const answer = await withRetry(() => call("POST", "/messages", body), retrying);
          if (validMessage(answer.message)) upsert(answer.message, false);
          else if (entry.m.state === "pending") {
            entry.m.state = "sent";
            paint(entry);
          }
        } catch (e) {
          entry.m.state = "failed"; // 400, 413, 403: sending it again would fail the same way
          paint(entry);
          ui.error.textContent = sendFailure(e);
        }
        outbox.shift();
      }
    } finally {
      pumping = false;
    }
  }

  // ---- Receipts -------------------------------------------------------------------------------

  let receiptTimer = null;
  let receiptChain = Promise.resolve();

  function scheduleReceipts() {
    if (!receiptTimer) receiptTimer = setTimeout(flushReceipts, 100);
  }

  /** Acknowledges agents' messages, batched: `delivered` once received, `read` while the panel is
   *  open on a visible page. What the message's state already says is not sent again. */
  function flushReceipts() {
    receiptTimer = null;
    const reading = state.open && document.visibilityState === "visible";
    const delivered = [];
    const read = [];
    byId.forEach(({ m }) => {
      if (m.direction !== "agent") return;
      const known = Math.max(m.state in RANK ? RANK[m.state] : 0, receiptSent.get(m.id) || 0);
      if (known < RANK.delivered) delivered.push(m.id);
      if (reading && known < RANK.read) read.push(m.id);
    });
    if (delivered.length) sendReceipt(delivered, "delivered");
    if (read.length) sendReceipt(read, "read");
  }

  function sendReceipt(ids, kind) {
    ids.forEach((id) => receiptSent.set(id, Math.max(receiptSent.get(id) || 0, RANK[kind])));
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      if (socket && socketReady) {
        socket.send(JSON.stringify({ type: "receipt", ids: batch, state: kind }));
      } else {
        // One after the other, so `delivered` arrives before `read`. A failure is sent again
        // at the next sync (flushReceipts skips only what receiptSent holds).
        receiptChain = receiptChain
          .then(() => call("POST", "/receipts", { ids: batch, state: kind }))
          .catch(() => batch.forEach((id) => receiptSent.delete(id)));
      }
    }
  }

  // ---- Live updates: the WebSocket, the long-poll fallback ------------------------------------

  let socket = null;
  let socketReady = false;
  let socketFailures = 0; // attempts in a row that never reached "ready"
  let reconnectTimer = null;
  let lastFrameAt = 0;
  let polling = false;
  let pollRun = 0; // a loop asleep in its backoff when polling stopped must not run beside a new one
  let pollAbort = null;

  let typingTimer = null;
  /** Shows or hides the agent's typing line; it hides by itself after 10 s (the inbox sends the
   *  indicator again while the agent types) and when the agent's message arrives. */
  function showTyping(on, author) {
    clearTimeout(typingTimer);
    if (!ui.typing) return;
    ui.typing.textContent = on ? `${author || "The team"} is typing\u2026` : "";
    if (on) typingTimer = setTimeout(() => showTyping(false), 10000);
  }

  function applyLive(m) {
    if (!validMessage(m)) return;
    if (m.direction === "agent") showTyping(false);
    upsert(m, true);
    if (versionOf(m) > state.cursor) state.cursor = versionOf(m);
    scheduleReceipts();
  }

  /** Opens the stream after the highest version received, so nothing is missed or doubled. */
  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (socket || !state.token) return;
    if (state.expiresAt && Date.now() > state.expiresAt - 60000) {
      startSession().then(connect, () => scheduleReconnect(backoff(socketFailures)));
      return;
    }
    const path = `/chat/v1/${encodeURIComponent(channelId)}/stream`;
    const query = `?token=${encodeURIComponent(state.token)}&after=${state.cursor}`;
    const ws = quietly(() => new WebSocket(base.replace(/^http/, "ws") + path + query));
    if (!ws) return socketGone(false);
    socket = ws;
    socketReady = false;
    ws.onmessage = (event) => socket === ws && onFrame(event.data);
    ws.onclose = () => socket === ws && dropSocket(false);
    setTimeout(() => socket === ws && !socketReady && dropSocket(false), 10000); // no "ready" in 10 s
  }

  function onFrame(data) {
    lastFrameAt = Date.now();
    const frame = quietly(() => JSON.parse(data));
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "ready") {
      // The cursor moves with the backlog's message frames, not with ready's version: a socket
      // lost in the middle of the backlog must resume before the part it did not get.
      socketReady = true;
      socketFailures = 0;
      stopPolling();
      setStatus(navigator.onLine === false ? "You are offline." : "");
      receiptSent.clear(); // receipts sent on the previous connection may be lost: sync again
      scheduleReceipts();
    } else if (frame.type === "message") {
      applyLive(frame.message);
    } else if (frame.type === "typing") {
      showTyping(frame.typing === true, typeof frame.author === "string" ? frame.author : "");
    }
  }

  /** Forgets the current socket (closed, silent or never ready) and, unless `quiet`, plans the
   *  next attempt. */
  function dropSocket(quiet) {
    const ws = socket;
    const wasReady = socketReady;
    socket = null;
    socketReady = false;
    if (ws) {
      ws.onmessage = ws.onclose = null;
      quietly(() => ws.close());
    }
    if (!quiet) socketGone(wasReady);
  }

  /** Backoff 0.5 s, 1 s, 2 s; after 3 failed attempts in a row, the long-poll, and the WebSocket
   *  again every 30 s until it works. */
  function socketGone(wasReady) {
    if (!wasReady) socketFailures += 1;
    if (!polling) setStatus("Reconnecting\u2026");
    if (state.expiresAt && Date.now() > state.expiresAt - 60000) startSession().catch(() => {});
    if (socketFailures >= 3) {
      startPolling();
      scheduleReconnect(jitter(30000));
    } else {
      scheduleReconnect(backoff(wasReady ? 0 : socketFailures));
    }
  }

  function scheduleReconnect(delay) {
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  /** GET /events in a loop while the WebSocket cannot be used. */
  async function startPolling() {
    if (polling) return;
    polling = true;
    const run = ++pollRun;
    const current = () => polling && run === pollRun;
    for (let attempt = 0; current(); ) {
      const controller = new AbortController();
      pollAbort = controller;
      try {
        const path = `/events?after=${state.cursor}&wait=25`;
        const answer = await call("GET", path, undefined, { timeout: 40000, signal: controller.signal });
        if (!current()) break;
        (Array.isArray(answer.events) ? answer.events : []).forEach((event) => {
          if (event && event.type === "message") applyLive(event.message);
        });
        if (Number.isFinite(answer.version) && answer.version > state.cursor) state.cursor = answer.version;
        attempt = 0;
        setStatus("");
      } catch (e) {
        if (!current()) break;
        setStatus("Reconnecting\u2026");
        await waitAfter(e, attempt++);
      }
    }
  }

  function stopPolling() {
    polling = false;
    if (pollAbort) pollAbort.abort();
    pollAbort = null;
  }

  /** Sends a ping; no frame at all within `timeoutMs` means the connection died without a close
   *  (sleep, a network change): drop it and reconnect. */
  function probe(timeoutMs) {
    const ws = socket;
    if (!ws || !socketReady) return;
    const sentAt = Date.now();
    ws.send(JSON.stringify({ type: "ping" }));
    setTimeout(() => socket === ws && lastFrameAt < sentAt && dropSocket(false), timeoutMs);
  }

  /** Back online, or the page visible again (a phone may have frozen it): reconnect at once if
   *  the stream is down (instead of waiting out a backoff), else check that it still answers. */
  function resync() {
    if (!ui.root || hiddenByHours()) return;
    if (socket && socketReady) {
      probe(5000);
    } else if (!socket) {
      socketFailures = Math.min(socketFailures, 2);
      connect();
    }
  }

  // ---- Start ----------------------------------------------------------------------------------

  let stylesheet = null;

  /** Builds the widget the first time it should show, and keeps it in step with the config. */
  function render() {
    if (ui.root) return applyConfig();
    if (hiddenByHours()) return; // no launcher; the next session refresh looks again
    buildUi(stylesheet);
    loadHistory().then(connect, (e) => console.warn(`inbox-chat: ${e.message}`));
    setInterval(() => probe(15000), PING_INTERVAL_MS);
  }

  /** Another visitor than before (see startSession): the transcript shown is not theirs. */
  function restart() {
    if (!ui.root) return;
    dropSocket(true);
    stopPolling();
    clearTimeout(reconnectTimer);
    byId.forEach((entry) => entry.el.remove());
    byId.clear();
    byClientId.clear();
    outbox.forEach((entry) => byClientId.set(entry.m.client_id, entry)); // still to be sent
    receiptSent.clear();
    Object.assign(state, { cursor: 0, hasMore: false, oldestSeq: null, unread: 0 });
    updateBadge();
    loadHistory().then(connect, (e) => console.warn(`inbox-chat: ${e.message}`));
  }

  async function main() {
    stylesheet = loadStylesheet();
    try {
      await withRetry(startSession);
    } catch (e) {
      console.warn(`inbox-chat: the chat is not available here (${e.message})`);
      return;
    }
    if (document.readyState === "loading") {
      await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
    }
    render();
  }

  window.addEventListener("online", () => {
    wakers.slice().forEach((wake) => wake());
    resync();
  });
  window.addEventListener("offline", () => setStatus("You are offline."));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    resync();
    scheduleReceipts();
  });

  window.InboxChat = Object.freeze({ visitorId: () => state.visitorId, version: () => state.cursor });

  main();
})();
