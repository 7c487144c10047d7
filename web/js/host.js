/* Loupe teacher console (/host): shared state, storage of this browser's sessions, language,
 * the host WebSocket, and the routing between views. What the console shares with the phone
 * remote and the projector (the state the messages build, the next step, the timer) is in
 * live.js. The views live in host-lib.js (library and preparation), host-live.js (lobby,
 * running quiz), host-tools.js (shortcuts, private notes), host-remote.js (phone remote pairing
 * and devices), host-end.js (summary, exports, past sessions) and host-past.js (how long this
 * browser keeps them, the shared-computer question, forgetting them all). ES2017 at most; text
 * is always inserted as text.
 *
 * The console assumes it is MIRRORED on the projector: notes, answer keys and the "talk to an
 * adult" count stay hidden until asked for (N), behind a visible warning.
 *
 * Storage (Loupe.store, localStorage "loupe.*"):
 *   host.<code>   {code, host_secret, screen_token, join_url, quiz, title, label, created,
 *                  questions: [ids]|null, min_count, ended, retention, ends_by, ended_at,
 *                  expires, end_reason}
 *   host.index    JSON array of codes, newest first (past sessions of this browser); a record is
 *                 forgotten once its report has expired (H.expiry), or at once after the end on
 *                 a shared computer
 *   host.shared   "1" on a shared computer (nothing kept after the end), "0" if not; unset until
 *                 the console has asked
 *   host.current  code of the session this console is running (restored on reload)
 *   screen.<code> the screen token, for /screen/<code> (never in a URL);
 *   screen.<code>.url  the join link, for the projector's address
 *   blank.<code>  "1" while the screen is blanked (the projector window follows)
 *
 * data-testid (page-wide; each view file lists its own):
 *   conn-status, notice, session-title, lang-switch, large-text, shortcuts,
 *   view-library, view-prepare, view-lobby, view-run, view-end,
 *   confirm, confirm-text, confirm-ok, confirm-cancel, blank, blank-back
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var Live = global.LoupeLive;
  var DICTS = ['common', 'host'];
  var MAX_PAST = 50;

  var H = {
    st: fresh(),
    renderers: [],
    afterLang: []
  };

  /** A fresh console state: the session as live.js follows it, and the console's own fields. */
  function fresh() {
    return Live.state({
      session: null, conn: null, connState: null, players: [], preview: null, ended: false,
      past: null, view: null, ticket: null, devices: null, endReason: null
    });
  }

  // ---------------------------------------------------------------- storage

  function readJson(key) {
    var raw = L.store.get(key);
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  /** This browser's stored session `code`, or null. */
  H.record = function (code) { return readJson('host.' + code); };

  /** Codes of this browser's sessions, newest first. */
  H.index = function () {
    var list = readJson('host.index');
    return Array.isArray(list) ? list.filter(function (c) { return /^\d{6}$/.test(c); }) : [];
  };

  /** Saves a session record and puts it first in the index. */
  H.save = function (rec) {
    L.store.set('host.' + rec.code, JSON.stringify(rec));
    var list = H.index().filter(function (c) { return c !== rec.code; });
    list.unshift(rec.code);
    list.slice(MAX_PAST).forEach(function (c) { L.store.remove('host.' + c); });
    L.store.set('host.index', JSON.stringify(list.slice(0, MAX_PAST)));
  };

  /** Forgets a session of this browser (its secret too). */
  H.forget = function (code) {
    L.store.remove('host.' + code);
    L.store.remove('screen.' + code);
    L.store.remove('screen.' + code + '.url');
    L.store.remove('blank.' + code);
    L.store.set('host.index', JSON.stringify(H.index().filter(function (c) { return c !== code; })));
    if (L.store.get('host.current') === code) L.store.remove('host.current');
  };

  /** Marks the running session as ended: kept in the past sessions list until its report
   *  expires, or forgotten at once on a shared computer (the end view keeps it in memory). */
  H.markEnded = function (reason) {
    var rec = H.st.session;
    if (!rec) return;
    if (!rec.ended) rec.ended_at = Date.now();
    rec.ended = true;
    if (reason) rec.end_reason = reason;
    if (H.shared()) { H.forget(rec.code); return; }
    H.save(rec);
    L.store.remove('screen.' + rec.code);
    L.store.remove('blank.' + rec.code);
    if (L.store.get('host.current') === rec.code) L.store.remove('host.current');
  };

  // ---------------------------------------------------------------- small UI helpers

  var noticeTimer = null;

  /** Shows a short message in the notice line (`kind`: '', 'warn' or 'error'). */
  H.notice = function (text, kind) {
    var n = L.$('#notice');
    if (noticeTimer) global.clearTimeout(noticeTimer);
    if (!text) { n.hidden = true; return; }
    n.className = 'status' + (kind ? ' ' + kind : '');
    n.textContent = text;
    n.hidden = false;
    noticeTimer = global.setTimeout(function () { n.hidden = true; }, kind === 'error' ? 12000 : 6000);
  };

  /** The plain-words text of an error code from the server or the API. */
  H.errorText = function (code) {
    var known = ['wrong_phase', 'no_timer', 'unknown_question', 'unknown_player', 'busy', 'rate_limited',
      'not_allowed', 'session_finished', 'bad_secret', 'unknown_session', 'bad_request', 'too_many_sessions',
      'bad_host_key', 'unknown_quiz', 'internal', 'expired', 'network', 'unknown_device', 'too_many_devices',
      'too_many_new_sessions'];
    return L.t(known.indexOf(code) >= 0 ? 'host.err.' + code : 'host.err.other');
  };

  var confirmResolve = null;
  var confirmReturn = null;

  /** Asks to confirm an action that cannot be undone; resolves to true or false. */
  H.confirm = function (text, okLabel) {
    var box = L.$('#confirm');
    L.$('#confirm-text').textContent = text;
    L.$('#confirm-ok').textContent = okLabel;
    confirmReturn = document.activeElement;
    box.hidden = false;
    L.$('#confirm-cancel').focus();
    return new Promise(function (resolve) { confirmResolve = resolve; });
  };

  H.confirmOpen = function () { return !L.$('#confirm').hidden; };

  function closeConfirm(answer) {
    L.$('#confirm').hidden = true;
    var r = confirmResolve;
    confirmResolve = null;
    if (confirmReturn && confirmReturn.focus) confirmReturn.focus();
    if (r) r(answer);
  }

  /** Keeps Tab inside an open dialog. */
  H.trapFocus = function (box, ev) {
    if (ev.key !== 'Tab') return;
    var items = L.$$('button:not([hidden]), [href], input, select', box).filter(function (n) {
      return n.offsetParent !== null && !n.disabled;
    });
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (ev.shiftKey && document.activeElement === first) { last.focus(); ev.preventDefault(); }
    else if (!ev.shiftKey && document.activeElement === last) { first.focus(); ev.preventDefault(); }
  };

  /** Downloads `text` as a file. */
  H.download = function (name, text, type) {
    var blob = new Blob([text], { type: type });
    var url = URL.createObjectURL(blob);
    var a = L.el('a', { href: url, download: name, hidden: true });
    document.body.appendChild(a);
    a.click();
    global.setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  };

  /** A date in the page's language. */
  H.date = function (ms) {
    try { return new Date(ms).toLocaleString(L.lang(), { dateStyle: 'medium', timeStyle: 'short' }); }
    catch (e) { return new Date(ms).toLocaleString(); }
  };

  // ---------------------------------------------------------------- language, larger text

  H.setLang = function (lang) {
    return L.loadLang(lang, DICTS).catch(function () {
      // The shared dictionary may be missing on a half-updated server: the console still works.
      return L.loadLang(lang, ['host']);
    }).then(function () {
      document.title = L.t('host.page_title');
      L.$('#btn-lang').setAttribute('lang', L.lang() === 'fr' ? 'en' : 'fr');
      H.afterLang.forEach(function (f) { f(); });
      H.render();
    });
  };

  function setupChrome() {
    L.$('#btn-lang').addEventListener('click', function () {
      var next = L.lang() === 'fr' ? 'en' : 'fr';
      L.store.set('lang', next);
      H.setLang(next);
    });
    var large = L.$('#btn-large');
    function applyLarge(on) {
      document.documentElement.classList.toggle('large', on);
      large.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    applyLarge(L.store.get('large') === '1');
    large.addEventListener('click', function () {
      var on = !document.documentElement.classList.contains('large');
      L.store.set('large', on ? '1' : '0');
      applyLarge(on);
    });
    L.$('#confirm-ok').addEventListener('click', function () { closeConfirm(true); });
    L.$('#confirm-cancel').addEventListener('click', function () { closeConfirm(false); });
    L.$('#confirm').addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); closeConfirm(false); }
      H.trapFocus(L.$('#confirm'), ev);
    });
    // Another console window of this browser switched language: follow it.
    global.addEventListener('storage', function (ev) {
      if (ev.key === 'loupe.lang' && (ev.newValue === 'fr' || ev.newValue === 'en') && ev.newValue !== L.lang()) {
        H.setLang(ev.newValue);
      }
    });
  }

  // ---------------------------------------------------------------- views

  /** Shows a view (`library`, `prepare`, `lobby`, `run`, `end`) and renders it. */
  H.show = function (view) {
    var changed = H.st.view !== view;
    H.st.view = view;
    L.showView('view-' + view);
    L.$('#shortcuts').hidden = ['lobby', 'run', 'end'].indexOf(view) < 0;
    H.render();
    if (changed) {
      global.scrollTo(0, 0);
      var main = L.$('#main');
      if (main && document.activeElement && document.activeElement !== document.body &&
          L.$('#view-' + view).contains(document.activeElement) === false && !H.confirmOpen()) {
        // The button that was pressed is gone: keep keyboard focus in the page, at its top.
        try { main.focus({ preventScroll: true }); } catch (e) { main.focus(); }
      }
    }
  };

  /** Re-renders every view (after a message, a language change …). */
  H.render = function () {
    var rec = H.st.past ? H.st.past.rec : H.st.session;
    var title = '';
    if (rec && H.st.view !== 'library' && H.st.view !== 'prepare') {
      title = (H.st.info && H.st.info.title) || rec.title || '';
      if (rec.label) title += ' · ' + rec.label;
    }
    L.$('#session-title').textContent = title;
    renderConn();
    H.renderers.forEach(function (f) { f(H.st); });
  };

  function renderConn() {
    var c = L.$('#conn');
    var s = H.st.connState;
    if (!H.st.conn || !s) { c.hidden = true; return; }
    c.hidden = false;
    c.className = 'status conn' + (s === 'open' ? ' ok' : s === 'blocked' || s === 'closed' ? ' error' : ' warn');
    c.textContent = L.t('host.conn.' + s);
  }

  /** Which view the session's phase calls for. */
  function viewForPhase() {
    var p = H.st.phase;
    if (H.st.ended || (p && p.stage === 'finished')) return 'end';
    if (!p || p.stage === 'lobby') return 'lobby';
    return 'run';
  }

  // ---------------------------------------------------------------- quiz preview (question texts)

  /** Fills question texts and the session's question order from a quiz preview. */
  function applyPreview(p) {
    H.st.preview = p;
    var rec = H.st.session;
    var ids = (rec && rec.questions) || p.questions.map(function (q) { return q.id; });
    ids.forEach(function (id, i) { if (!H.st.order[i]) H.st.order[i] = id; });
    p.questions.forEach(function (q) {
      var i = ids.indexOf(q.id);
      if (i >= 0 && !H.st.questions[q.id]) {
        H.st.questions[q.id] = { text: q.text, options: q.options.map(function (o) { return o.text; }), index: i };
      }
    });
    H.render();
    return p;
  }

  /**
   * Loads the quiz preview of session `rec`, for question texts after a reload; its host secret
   * stands for the host key on a server that has one.
   */
  H.loadPreview = function (rec, cached) {
    var quizId = rec && rec.quiz;
    if (!quizId) return Promise.resolve(null);
    if (cached && cached.id === quizId) return Promise.resolve(applyPreview(cached));
    var path = '/api/quizzes/' + encodeURIComponent(quizId) + '?session=' + encodeURIComponent(rec.code);
    return L.api('GET', path, undefined, { 'Authorization': 'Bearer ' + rec.host_secret })
      .then(applyPreview)
      .catch(function () { return null; });
  };

  // ---------------------------------------------------------------- connection

  /** Connects this console to session `rec` as its host. */
  H.connect = function (rec) {
    if (H.st.conn) H.st.conn.stop();
    var cached = H.st.preview;
    H.st = fresh();
    H.st.session = rec;
    L.store.set('host.current', rec.code);
    if (rec.screen_token) L.store.set('screen.' + rec.code, rec.screen_token);
    if (rec.join_url) L.store.set('screen.' + rec.code + '.url', rec.join_url);
    H.loadPreview(rec, cached);
    var conn = new L.Session({
      role: 'host',
      code: rec.code,
      secret: function () { return rec.host_secret; },
      onWelcome: function (msg) {
        H.st.info = msg.session;
        H.st.ticket = msg.ticket || null;
        // The server sends `devices` after the snapshot when there are any: none until then (a
        // phone that was waiting before a server restart is gone with it).
        H.st.devices = null;
        if (H.onDevices) H.onDevices({ waiting: [], devices: [] });
      },
      onMessage: onMessage,
      onState: function (state, detail) {
        H.st.connState = state;
        if (state === 'closed') onClosed(detail || {});
        H.render();
      }
    });
    H.st.conn = conn;
    H.show('lobby');
    conn.connect();
  };

  /** Leaves the running session (it carries on; "Resume" in the past sessions brings it back). */
  H.leave = function () {
    if (H.st.conn) H.st.conn.stop();
    if (H.st.session && L.store.get('host.current') === H.st.session.code) L.store.remove('host.current');
    var cached = H.st.preview;
    H.st = fresh();
    H.st.preview = cached;
  };

  /** Sends a host command; says so if the connection is down. */
  H.send = function (msg) {
    if (!H.st.conn || !H.st.conn.send(msg)) {
      H.notice(L.t('host.err.offline'), 'warn');
      return false;
    }
    return true;
  };

  function onClosed(detail) {
    var code = detail.code;
    var err = detail.error && detail.error.code;
    if (code === 4000) {
      H.st.ended = true;
      H.markEnded(H.st.endReason);
    } else if (code === 4004 || code === 4003 || err === 'unknown_session' || err === 'bad_secret') {
      // The session is over (ended, cleared, or gone after the host stayed away too long). The
      // server refuses this console's secret for a code it no longer has as a wrong secret (it
      // never says which codes are free), so a refusal means the same thing here.
      H.st.ended = true;
      H.markEnded();
      if (!H.st.summary) H.notice(L.t(H.shared() ? 'host.err.session_gone_shared' : 'host.err.session_gone'), 'warn');
    }
    H.show(H.st.summary ? 'end' : (H.st.ended ? 'library' : viewForPhase()));
  }

  function onMessage(msg) {
    var st = H.st;
    if (Live.apply(st, msg, Date.now())) {
      // A new question: the answer key of the last one must not stay on the wall.
      if (msg.type === 'question' && H.onNewQuestion) H.onNewQuestion(msg);
    } else {
      switch (msg.type) {
        case 'players':
          st.players = msg.players || [];
          break;
        case 'devices':
          st.devices = msg;
          if (H.onDevices) H.onDevices(msg);
          break;
        case 'ended':
          st.ended = true;
          st.endReason = msg.reason || null;
          H.markEnded(st.endReason);
          if (st.endReason === 'max_life') H.notice(H.endReasonText(st.session), 'error');
          break;
        case 'error':
          if (msg.in_reply_to !== 'hello') H.notice(H.errorText(msg.code), 'warn');
          return;
        default:
          return;
      }
    }
    var want = viewForPhase();
    if (st.view !== want && !(st.view === 'end' && st.ended)) H.show(want);
    else H.render();
  }

  /** Milliseconds left on the question timer, or null when untimed. */
  H.timeLeft = function () { return Live.timeLeft(H.st.timer, Date.now()); };

  // ---------------------------------------------------------------- boot

  function boot() {
    setupChrome();
    H.setLang(L.pickLang()).then(function () {
      H.prune();
      var current = L.store.get('host.current');
      var rec = current ? H.record(current) : null;
      if (rec && !rec.ended) {
        H.connect(rec);
      } else {
        H.show('library');
      }
      if (H.loadLibrary) H.loadLibrary();
    });
  }

  H.viewForPhase = viewForPhase;
  global.LoupeHost = H;
  document.addEventListener('DOMContentLoaded', boot);
})(window);
