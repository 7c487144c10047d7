/* Loupe phone remote (/remote#<pairing token>): the teacher's phone drives the session (next,
 * reveal, pause, previous result, +30 s, finish) and shows what must stay off the projector
 * (notes, answer key, the "talk to an adult" count).
 * The pairing token comes in the URL fragment (never sent to a server by the browser); it is
 * removed from the address at once (history.replaceState), then claimed once with
 * POST /api/remote/claim for the session code and this phone's own credential (never the host
 * secret), kept in sessionStorage only (this tab; gone when it closes). The phone then waits
 * ("Phone N", the number the console shows) until the teacher accepts it on the console; a
 * refused phone, or one the console disconnects (close 4006), forgets its credential and says so.
 * ES2017 at most; text is always inserted as text.
 *
 * data-testid: remote-claiming, remote-waiting, remote-device, remote-waiting-text,
 *   remote-refused, remote-revoked, remote-none, remote-expired, remote-expired-text, remote-ended,
 *   remote-main, remote-title, remote-stage, remote-q-text, remote-paused, remote-answers,
 *   remote-presence, remote-help, remote-next, remote-reveal, remote-pause, remote-back,
 *   remote-add-time, remote-notes-toggle, remote-notes, remote-answer-key, remote-finish,
 *   remote-finish-confirm, remote-finish-cancel, remote-notice, remote-forget, conn-status,
 *   lang-switch
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var C = global.LoupeCharts;
  var Live = global.LoupeLive;
  var t = function (k, v) { return L.t(k, v); };
  var DICTS = ['common', 'host'];
  var KEY = 'loupe.remote';

  /** The session as live.js follows it, and the remote's own fields. */
  var R = Live.state({ pairing: null, conn: null, connState: null, notes: false, view: 'claiming', expired: null });

  // ---------------------------------------------------------------- storage (this tab only)

  function session(get, value) {
    try {
      if (get) return JSON.parse(global.sessionStorage.getItem(KEY) || 'null');
      if (value === null) global.sessionStorage.removeItem(KEY);
      else global.sessionStorage.setItem(KEY, JSON.stringify(value));
    } catch (e) { /* private mode: the pairing lives in memory only */ }
    return null;
  }

  function saveOrder() {
    if (!R.pairing) return;
    R.pairing.order = R.order;
    session(false, R.pairing);
  }

  // ---------------------------------------------------------------- rendering

  function total() { return Live.total(R); }

  function timeLeft() { return Live.timeLeft(R.timer, Date.now()); }

  function renderNotes() {
    var box = L.$('#r-notes');
    box.hidden = !R.notes;
    L.$('#r-notes-toggle').setAttribute('aria-expanded', R.notes ? 'true' : 'false');
    L.$('#r-notes-toggle').textContent = t(R.notes ? 'remote.notes_hide' : 'remote.notes_show');
    if (!R.notes) return;
    Live.renderNotes(R, Live.notesId(R), L.$('#r-key'), L.$('#r-notes-body'));
  }

  function renderTimer() {
    var open = R.phase && R.phase.stage === 'open';
    Live.renderTimer(L.$('#r-timer'), open ? timeLeft() : null);
  }

  function renderMain() {
    var p = R.phase;
    var online = R.connState === 'open';
    L.$('#rm-h').textContent = (R.info ? R.info.title : '') + (R.pairing ? ' · ' + t('host.end.code', { code: R.pairing.code }) : '');
    var stage = '';
    if (p) {
      stage = t('host.stage.' + p.stage);
      if (typeof p.index === 'number') stage = t('host.run.index', { n: p.index + 1, total: total() }) + ' · ' + stage;
    }
    L.$('#r-stage').textContent = stage;
    var id = p && p.question;
    L.$('#r-q').textContent = (id && R.questions[id] && R.questions[id].text) || '';
    if (R.info && R.info.lang) L.$('#r-q').setAttribute('lang', R.info.lang);
    L.$('#r-paused').hidden = !(p && p.paused);
    var a = R.answers;
    var answers = L.$('#r-answers');
    if (p && p.stage === 'lobby') {
      answers.textContent = C.tn('host.lobby.presence', R.presence.connected);
    } else if (a && a.question === id) {
      answers.textContent = C.tn('host.run.answers', a.count);
    } else {
      answers.textContent = p && p.stage === 'open' ? C.tn('host.run.answers', 0) : '';
    }
    L.$('#r-presence').textContent = p && p.stage !== 'lobby' ? C.tn('host.lobby.presence', R.presence.connected) : '';
    var help = L.$('#r-help');
    help.textContent = Live.helpText(R.help);
    help.className = 'status' + (R.help ? ' warn' : '');
    var act = Live.nextAction(R);
    var next = L.$('#r-next');
    next.textContent = act ? t(act[1]) : t('host.cmd.next_q');
    next.disabled = !act || !online;
    var s = p ? p.stage : 'lobby';
    L.$('#r-reveal').disabled = !online || !(s === 'open' || s === 'closed');
    var pause = L.$('#r-pause');
    pause.textContent = t(p && p.paused ? 'host.cmd.resume' : 'host.cmd.pause');
    pause.setAttribute('aria-pressed', p && p.paused ? 'true' : 'false');
    pause.disabled = !online || s === 'lobby' || s === 'finished';
    L.$('#r-back').disabled = !online || !Live.previousId(R);
    L.$('#r-add-time').disabled = !online || s !== 'open' || timeLeft() === null;
    L.$('#r-finish').disabled = !online || s === 'finished';
    var finished = s === 'finished';
    L.$('#r-grid').hidden = finished;
    L.$('#r-finish-box').hidden = finished;
    var fin = L.$('#r-finished');
    fin.hidden = !finished;
    if (finished) {
      var sum = R.summary;
      var stats = sum ? ' ' + t('remote.finished_stats', { n: sum.pupils,
        mean: sum.mean === null || sum.mean === undefined ? '–' : C.num(sum.mean),
        median: sum.median === null || sum.median === undefined ? '–' : C.num(sum.median) }) : '';
      fin.textContent = t('remote.finished') + stats;
    }
    renderTimer();
    renderNotes();
  }

  function deviceLabel() {
    var n = R.pairing && R.pairing.device;
    return n ? t('host.remote.device_label', { n: n }) : '';
  }

  function render() {
    L.showView('view-' + R.view);
    if (R.view === 'expired') L.$('#expired-text').textContent = t(R.expired || 'remote.expired_text');
    if (R.view === 'waiting') {
      L.$('#r-device').textContent = deviceLabel();
      L.$('#r-waiting-text').textContent = t('remote.waiting_text', { device: deviceLabel() });
    }
    if (R.view === 'main') renderMain();
    var c = L.$('#conn');
    var s = R.connState;
    c.hidden = !R.conn || !s || R.view !== 'main';
    if (!c.hidden) {
      c.className = Live.connClass(s);
      c.textContent = t('host.conn.' + s);
    }
    document.title = t('remote.page_title');
  }

  var noticeTimer = null;
  function notice(text) {
    var n = L.$('#r-notice');
    n.textContent = text;
    n.hidden = !text;
    if (noticeTimer) global.clearTimeout(noticeTimer);
    noticeTimer = global.setTimeout(function () { n.hidden = true; }, 6000);
  }

  // ---------------------------------------------------------------- connection

  function onMessage(msg) {
    if (Live.apply(R, msg, Date.now())) {
      // The order of the questions survives a reload of this tab, for "previous".
      if (msg.type === 'phase' || msg.type === 'question') saveOrder();
    } else {
      switch (msg.type) {
        case 'pairing_waiting':
          R.pairing.device = msg.device;
          session(false, R.pairing);
          R.view = 'waiting';
          break;
        case 'ended': R.view = 'ended'; session(false, null); break;
        case 'error':
          if (msg.in_reply_to !== 'hello') notice(t('host.err.' + (['wrong_phase', 'no_timer', 'busy'].indexOf(msg.code) >= 0 ? msg.code : 'other')));
          return;
        default: return;
      }
    }
    render();
  }

  function connect() {
    var pairing = R.pairing;
    R.order = Array.isArray(pairing.order) ? pairing.order : [];
    // Until the server says: waiting for the teacher, or welcome (already accepted).
    R.view = 'claiming';
    R.conn = new L.Session({
      role: 'host',
      code: pairing.code,
      secret: function () { return pairing.credential; },
      onWelcome: function (msg) { R.info = msg.session; R.view = 'main'; },
      onMessage: onMessage,
      onState: function (state, detail) {
        R.connState = state;
        var d = detail || {};
        if (state === 'reconnecting' && d.code === 4006) {
          // The teacher disconnected this phone on the console: its credential is dead.
          R.conn.stop();
          state = 'closed';
        }
        if (state === 'closed') {
          var err = d.error && d.error.code;
          session(false, null);
          if (d.code === 4006) R.view = 'revoked';
          else if (err === 'pairing_refused') R.view = 'refused';
          else if (d.code === 4000 || d.code === 4004 || err === 'unknown_session') R.view = 'ended';
          else { R.view = 'expired'; R.expired = 'remote.refused'; }
        }
        render();
      }
    });
    render();
    R.conn.connect();
  }

  function send(msg) {
    if (!R.conn || !R.conn.send(msg)) notice(t('host.err.offline'));
  }

  function claim(token) {
    L.api('POST', '/api/remote/claim', { token: token }).then(function (c) {
      R.pairing = { code: c.code, credential: c.credential, device: null, order: [] };
      session(false, R.pairing);
      connect();
    }).catch(function (e) {
      R.view = 'expired';
      R.expired = e && e.status === 410 ? 'remote.expired_text' : 'remote.claim_failed';
      render();
    });
  }

  // ---------------------------------------------------------------- boot

  function setLang(lang) {
    return L.loadLang(lang, DICTS).catch(function () { return L.loadLang(lang, ['host']); }).then(function () {
      L.$('#btn-lang').setAttribute('lang', L.lang() === 'fr' ? 'en' : 'fr');
      render();
    });
  }

  function setup() {
    L.$('#btn-lang').addEventListener('click', function () {
      var next = L.lang() === 'fr' ? 'en' : 'fr';
      L.store.set('lang', next);
      setLang(next);
    });
    L.$('#r-next').addEventListener('click', function () {
      var a = Live.nextAction(R);
      if (a) send({ type: a[0] });
    });
    L.$('#r-reveal').addEventListener('click', function () { send({ type: 'reveal' }); });
    L.$('#r-pause').addEventListener('click', function () {
      send({ type: R.phase && R.phase.paused ? 'resume' : 'pause' });
    });
    L.$('#r-back').addEventListener('click', function () {
      var id = Live.previousId(R);
      if (id) send({ type: 'show_results', question: id });
    });
    L.$('#r-add-time').addEventListener('click', function () { send({ type: 'add_time' }); });
    L.$('#r-notes-toggle').addEventListener('click', function () { R.notes = !R.notes; render(); });
    L.$('#r-finish').addEventListener('click', function () {
      L.$('#r-finish-confirm').hidden = false;
      L.$('#r-finish').hidden = true;
      L.$('#r-finish-no').focus();
    });
    function closeFinish() {
      L.$('#r-finish-confirm').hidden = true;
      L.$('#r-finish').hidden = false;
    }
    L.$('#r-finish-no').addEventListener('click', function () { closeFinish(); L.$('#r-finish').focus(); });
    L.$('#r-finish-yes').addEventListener('click', function () { send({ type: 'finish' }); closeFinish(); });
    L.$('#r-forget').addEventListener('click', function () {
      if (R.conn) R.conn.stop();
      R.conn = null;
      session(false, null);
      R.view = 'none';
      render();
    });
    global.setInterval(function () {
      if (R.view === 'main') renderTimer();
    }, 500);
  }

  function boot() {
    setup();
    // Take the token out of the address before anything else, so it is in no history entry.
    var hash = (global.location.hash || '').replace(/^#/, '');
    if (hash) {
      try { global.history.replaceState(null, '', global.location.pathname + global.location.search); }
      catch (e) { global.location.hash = ''; }
    }
    setLang(L.pickLang()).then(function () {
      if (/^[0-9a-f]{32}$/i.test(hash)) {
        R.view = 'claiming';
        render();
        claim(hash);
        return;
      }
      R.pairing = session(true);
      if (R.pairing && R.pairing.code && R.pairing.credential) connect();
      else { R.view = hash ? 'expired' : 'none'; render(); }
    });
  }

  document.addEventListener('DOMContentLoaded', boot);
})(window);
