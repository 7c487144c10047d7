/* Loupe pupil page, logic: join with a code, follow the session, answer (or pass), resume after
 * a drop, the private result, help, and wiping what the phone kept. Drawing is in pupil-view.js,
 * the rules of an answer on its way (and of a closed connection) in pupil-rules.js.
 * ES2017 at most. Stored on the phone under `loupe.*`, each per join code: the resume token, the
 * answer counter, an answer not yet acknowledged, the last question, the pseudonym and when the
 * phone joined ("the pupil's place"). A shared tablet keeps none of it once the session is over:
 * every place is forgotten on `ended` (or close 4000) and by "Finish and clear"; a place is
 * forgotten when a resume with it is refused, when the pupil is removed, and once the private
 * result was opened (the token stays in memory, for a reconnect in this page); places older than
 * a day are forgotten when the page opens. The language and larger text are the device's and kept.
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var $ = L.$, t = L.t, store = L.store;
  var P = L.pupil = L.pupil || {};
  var R = P.rules;
  var DICTS = ['common', 'pupil'];
  /** What a pupil's place is made of, per join code. */
  var PLACE = ['token.', 'seq.', 'pending.', 'q.', 'name.', 'since.'];

  var S = P.S = {
    code: null, conn: null, session: null, name: null, token: null,
    stage: null, paused: false, phaseQ: null, view: 'v-join',
    q: null, draft: [], acks: {}, pending: null, note: null,
    reveal: null, result: null, resultOpen: false,
    deadline: null, leftMs: null, timerId: null, seq: 0,
    talk: null, stop: null
  };

  function loadJSON(key) {
    try { return JSON.parse(store.get(key) || 'null'); } catch (e) { return null; }
  }
  function saveJSON(key, value) {
    if (value === null) store.remove(key); else store.set(key, JSON.stringify(value));
  }
  /** The join codes this device keeps a place for. */
  function storedCodes() {
    var keys = [];
    try {
      for (var i = 0; i < global.localStorage.length; i++) keys.push(global.localStorage.key(i));
    } catch (e) { /* storage disabled: nothing kept */ }
    return R.placeCodes(keys);
  }

  /** Forgets this device's place in session `code`. */
  function forgetPlace(code) {
    if (code) PLACE.forEach(function (k) { store.remove(k + code); });
  }

  /** Forgets every pupil's place on this device (a shared tablet, after the end). */
  function forgetAllPlaces() {
    storedCodes().forEach(forgetPlace);
    try { global.sessionStorage.clear(); } catch (e) { /* ignore */ }
  }

  /** Forgets places older than a day, or from before places were dated, except `keep`'s. */
  function forgetOldPlaces(keep) {
    storedCodes().forEach(function (c) {
      if (c !== keep && R.placeExpired(parseInt(store.get('since.' + c), 10), Date.now())) forgetPlace(c);
    });
  }

  /** The pupil's latest acknowledged answer to `question` (any round, the latest wins). */
  P.ackFor = function (question) { return R.latestAck(S.acks, question); };

  /** The question message for `id`, from memory or from the copy kept for a reload. */
  P.questionById = function (id) {
    if (S.q && S.q.question === id) return S.q;
    var kept = S.code ? loadJSON('q.' + S.code) : null;
    return kept && kept.question === id ? kept : null;
  };

  P.currentAck = function () {
    return S.q ? S.acks[R.ackKey(S.q.question, S.q.round)] || null : null;
  };

  /** Whether the ticked options are those last sent (acknowledged or on their way). */
  P.sameDraft = function () { return R.sameChoice(S.pending || P.currentAck(), S.draft); };

  // ------------------------------------------------------------ joining and leaving

  function codeFromUrl() {
    var m = /^\/join\/([0-9]{6})\/?$/.exec(global.location.pathname);
    if (m) return m[1];
    var q = /[?&]code=([0-9 ]{6,9})(&|$)/.exec(global.location.search);
    return q ? q[1].replace(/ /g, '') : null;
  }

  /** The join ticket in the fragment of the QR code's link (/join/123456#<16 hex>), if any: it
   *  lets a first join to that code past the limits a bot on the same network may have used up.
   *  Kept in memory for that code only (the address bar loses it after the first welcome). */
  var qr = { code: null, ticket: null };
  function ticketFromUrl(code) {
    var m = /^#([0-9a-f]{16})$/.exec(global.location.hash);
    if (m) qr = { code: code, ticket: m[1] };
  }

  function join(code) {
    if (!/^[0-9]{6}$/.test(code)) { P.joinError(function () { return t('join.bad'); }); $('#code').focus(); return; }
    if (S.conn) S.conn.stop();
    P.joinError(null);
    $('#code').value = code;
    P.show($('#join-wait'), true);
    $('#join-btn').disabled = true;
    S.code = code;
    S.seq = parseInt(store.get('seq.' + code), 10) || 0;
    S.pending = loadJSON('pending.' + code);
    S.name = store.get('name.' + code);
    S.token = store.get('token.' + code);
    S.stop = null;
    // Callbacks of a connection this page has let go of (stopped) are ignored.
    var conn = new L.Session({
      role: 'player',
      code: code,
      secret: function () { return S.token; },
      ticket: function () { return qr.code === code ? qr.ticket : null; },
      onWelcome: function (msg) { if (S.conn === conn) onWelcome(msg); },
      onMessage: function (msg) { if (S.conn === conn) onMessage(msg); },
      onState: function (state, detail) { if (S.conn === conn) onState(state, detail); }
    });
    S.conn = conn;
    conn.connect();
  }

  /** Back to an empty join form (after "Finish and clear", an end, or a refused join), with an
   *  optional error (a function giving its text, so a language switch can say it again). */
  function resetToJoin(error, keepCode) {
    if (S.conn) S.conn.stop();
    S.conn = null; S.code = null; S.session = null; S.stage = null; S.paused = false;
    S.q = null; S.acks = {}; S.pending = null; S.reveal = null; S.result = null;
    S.resultOpen = false; S.talk = null; S.stop = null; S.name = null; S.token = null;
    P.stopTimer();
    try { global.history.replaceState(null, '', '/'); } catch (e) { /* ignore */ }
    $('#code').value = keepCode || '';
    P.setConn(null);
    P.render(true);
    P.joinError(error || null);
    P.renderHelp();
  }

  function stopWith(kind) {
    var reading = kind === 'ended' && S.view === 'v-finished' && S.resultOpen;
    if (S.conn) S.conn.stop();
    S.conn = null;
    S.stop = kind;
    P.stopTimer();
    P.render(!reading);
    P.renderHelp();
  }

  // ------------------------------------------------------------ server messages

  function onWelcome(msg) {
    S.session = msg.session || null;
    if (msg.token) {
      S.token = msg.token;
      store.set('token.' + S.code, msg.token);
      store.set('since.' + S.code, String(Date.now()));
    }
    if (msg.name) { S.name = msg.name; store.set('name.' + S.code, msg.name); }
    if (global.location.pathname !== '/join/' + S.code || global.location.hash) {
      try { global.history.replaceState(null, '', '/join/' + S.code); } catch (e) { /* ignore */ }
    }
    if (S.talk === 'waiting' && S.conn.send({ type: 'talk_to_adult' })) S.talk = 'sent';
    P.renderHelp();
  }

  function onMessage(msg) {
    switch (msg.type) {
      case 'phase': onPhase(msg); break;
      case 'question': onQuestion(msg); break;
      case 'timer': onTimer(msg); break;
      case 'ack': onAck(msg); break;
      case 'reveal': S.reveal = msg; P.render(false); break;
      case 'result': S.result = msg; P.render(false); P.renderHelp(); break;
      case 'ended': forgetAllPlaces(); stopWith('ended'); break;
      case 'error': onError(msg); break;
      default: break;
    }
  }

  function onPhase(msg) {
    var changed = R.phaseChanged(S.stage, S.phaseQ, msg);
    S.stage = msg.stage;
    S.paused = !!msg.paused;
    S.phaseQ = msg.question || null;
    if (changed && msg.stage !== 'revealed') S.reveal = null;
    if (changed) S.note = null;
    if (S.stage !== 'open') P.stopTimer();
    // Resumed after a pause: an answer kept while paused goes now, with its client_seq.
    var p = S.pending;
    if (!changed && S.stage === 'open' && !S.paused && R.answers(p, S.q) && S.conn) {
      S.note = null;
      S.conn.send(p);
    }
    P.render(changed);
  }

  function onQuestion(msg) {
    var isNew = !S.q || S.q.question !== msg.question || S.q.round !== msg.round;
    S.q = msg;
    saveJSON('q.' + S.code, msg);
    if (isNew) { S.draft = []; S.note = null; }
    setTimer(msg.time_left_ms, S.paused);
    // An answer sent but never acknowledged (the connection dropped): send it again with the
    // same client_seq; the server records it now or acknowledges it again, never twice.
    var p = S.pending;
    if (R.answers(p, msg)) S.conn.send(p);
    else if (p) setPending(null);
    if (S.stage === 'open') P.render(isNew);
  }

  function onTimer(msg) {
    if (!S.q || msg.question !== S.q.question) return;
    S.paused = !!msg.paused;
    setTimer(msg.time_left_ms, S.paused);
    P.render(false);
  }

  function onAck(msg) {
    S.acks[R.ackKey(msg.question, msg.round)] = msg;
    S.seq = Math.max(S.seq, msg.client_seq);
    if (R.settles(S.pending, msg)) setPending(null);
    S.note = null;
    // After a reload, the ticks of a multiple-choice answer come back from the server's ack.
    if (S.q && S.q.question === msg.question && msg.choice && msg.choice.options && !S.draft.length) {
      S.draft = msg.choice.options.slice();
    }
    P.render(false);
  }

  function onError(msg) {
    var p = S.pending;
    if (msg.in_reply_to !== 'answer' || !p) return;
    var then = R.afterError(msg.code);
    if (then === 'retry') {
      global.setTimeout(function () { if (S.pending === p && S.conn) S.conn.send(p); }, 800);
      return;
    }
    // Paused (after a server restart, or a tap that crossed the pause): the answer is kept and
    // goes again, with the same client_seq, as soon as the session resumes (see onPhase).
    if (then === 'keep') {
      S.note = function () { return t('q.paused.kept'); };
      P.updateQuestion();
      return;
    }
    setPending(null);
    if (then === 'late') S.note = function () { return t('q.closed.late'); };
    else if (then === 'failed') S.note = function () { return t('err.generic'); };
    P.updateQuestion();
  }

  function onState(state, detail) {
    if (state === 'open') { P.setConn(null); return; }
    if (state === 'connecting') { if (S.stage) P.setConn(function () { return t('conn.connecting'); }); return; }
    if (state === 'reconnecting') {
      if (S.stage) P.setConn(function () { return t('conn.reconnecting'); });
      else if (detail && detail.code === 4029) {
        // Not in yet, and this network failed too many joins lately: the page keeps trying.
        P.joinError(function () { return t('join.busy'); });
        P.show($('#join-wait'), true);
      }
      return;
    }
    if (state === 'blocked') {
      var blocked = function () { return t('conn.blocked'); };
      if (S.stage) P.setConn(blocked);
      else { P.joinError(blocked); P.show($('#join-wait'), true); }
      return;
    }
    // Closed for good.
    P.setConn(null);
    var then = R.afterClose(detail && detail.code, detail && detail.error && detail.error.code);
    if (then.stop === 'ended') { forgetAllPlaces(); stopWith('ended'); return; }
    if (then.stop === 'replaced') { stopWith('replaced'); return; }
    if (then.stop === 'removed') { forgetPlace(S.code); stopWith('removed'); return; }
    // Refused for good (gone, wrong token, locked, full, finished): nothing of this place is of
    // use any more, so a shared tablet keeps none of it.
    forgetPlace(S.code);
    resetToJoin(function () { return t(then.refused); }, $('#code').value);
  }

  // ------------------------------------------------------------ answering

  function setPending(p) {
    S.pending = p;
    if (S.code) saveJSON('pending.' + S.code, p);
  }

  /** The next client_seq: higher than any used on this phone for this code, even after a reload. */
  function nextSeq() {
    S.seq = R.nextSeq(S.seq, parseInt(store.get('seq.' + S.code), 10));
    store.set('seq.' + S.code, String(S.seq));
    return S.seq;
  }

  function sendChoice(choice) {
    if (!S.q || S.stage !== 'open' || S.paused) return;
    var msg = { type: 'answer', question: S.q.question, round: S.q.round, client_seq: nextSeq(), choice: choice };
    setPending(msg);
    S.note = null;
    if (S.conn) S.conn.send(msg); // if the socket is down, the resume sends it again
    P.updateQuestion();
  }

  /** A tap on option `i`: toggles it on a multiple-choice question, else answers at once. */
  P.onOption = function (i) {
    if (S.paused || !S.q) return;
    if (S.q.kind === 'multiple') {
      var at = S.draft.indexOf(i);
      if (at >= 0) S.draft.splice(at, 1); else S.draft.push(i);
      P.updateQuestion();
    } else {
      sendChoice({ options: [i] });
    }
  };

  // ------------------------------------------------------------ timer (a calm countdown)

  function setTimer(ms, paused) {
    P.stopTimer();
    if (typeof ms !== 'number') { S.deadline = null; S.leftMs = null; P.updateTimer(); return; }
    if (paused) { S.deadline = null; S.leftMs = ms; } else { S.deadline = Date.now() + ms; S.leftMs = null; }
    P.updateTimer();
    if (!paused) S.timerId = global.setInterval(P.updateTimer, 1000);
  }

  P.stopTimer = function () {
    if (S.timerId) global.clearInterval(S.timerId);
    S.timerId = null;
  };

  // ------------------------------------------------------------ panels, preferences, start

  var opener = null;
  function openPanel(id) {
    opener = document.activeElement;
    P.renderHelp();
    L.$$('.panel').forEach(function (p) { p.hidden = p.id !== id; });
    // A full-screen panel: what is behind it leaves the page (and the tab order) until closed.
    document.body.classList.add('panel-open');
    $('#' + id + ' h2').focus();
  }

  function closePanels() {
    var open = L.$$('.panel').filter(function (p) { return !p.hidden; });
    if (!open.length) return;
    open.forEach(function (p) { p.hidden = true; });
    document.body.classList.remove('panel-open');
    if (opener && opener.focus) opener.focus();
    opener = null;
  }

  /** The anonymous "I'd like to talk to an adult": sent now, or as soon as the phone is back. */
  function talkToAdult() {
    S.talk = S.conn && S.conn.send({ type: 'talk_to_adult' }) ? 'sent' : 'waiting';
    P.renderHelp();
    $('#talk-state').focus();
  }

  function setLarge(on) {
    document.documentElement.classList.toggle('large', on);
    $('#large-btn').setAttribute('aria-pressed', on ? 'true' : 'false');
    if (on) store.set('large', '1'); else store.remove('large');
  }

  /** After a dictionary load: texts built by script are built again in the new language. */
  function applyLang() {
    $('#lang-btn').setAttribute('lang', L.lang() === 'fr' ? 'en' : 'fr');
    document.title = L.t('page.title');
    P.setConn(P.connText);
    if (P.joinErrorText) P.text($('#join-error'), P.joinErrorText());
    P.renderHelp();
    P.render(false);
    if (S.view === 'v-question') { P.buildQuestion(); P.updateQuestion(); }
  }

  function bind() {
    $('#join-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      join($('#code').value.replace(/[^0-9]/g, ''));
    });
    $('#q-pass').addEventListener('click', function () { if (!S.paused) { S.draft = []; sendChoice('pass'); } });
    $('#q-send').addEventListener('click', function () {
      if (S.draft.length) sendChoice({ options: S.draft.slice().sort(function (a, b) { return a - b; }) });
    });
    $('#read-btn').addEventListener('click', P.speak);
    $('#result-btn').addEventListener('click', function () {
      S.resultOpen = !S.resultOpen;
      // The result is seen: the quiz is over for this pupil, so the tablet forgets the place
      // (a reload then shows the join form; a reconnect in this page still uses the token).
      if (S.resultOpen && S.result) forgetPlace(S.code);
      P.renderFinished();
    });
    $('#clear-btn').addEventListener('click', function () { forgetAllPlaces(); resetToJoin(null); });
    $('#stop-btn').addEventListener('click', function () {
      if (S.stop === 'ended') forgetAllPlaces();
      resetToJoin(null);
    });
    $('#help-btn').addEventListener('click', function () { openPanel('help-panel'); });
    $('#privacy-btn').addEventListener('click', function () { openPanel('privacy-panel'); });
    $('#talk-btn').addEventListener('click', talkToAdult);
    L.$$('[data-close]').forEach(function (b) { b.addEventListener('click', closePanels); });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' || ev.key === 'Esc') closePanels();
    });
    $('#large-btn').addEventListener('click', function () {
      setLarge(!document.documentElement.classList.contains('large'));
    });
    $('#lang-btn').addEventListener('click', function () {
      var next = L.lang() === 'fr' ? 'en' : 'fr';
      store.set('lang', next);
      L.loadLang(next, DICTS).then(applyLang, function () { /* keep the current language */ });
    });
  }

  function start() {
    bind();
    setLarge(store.get('large') === '1');
    var code = codeFromUrl();
    forgetOldPlaces(code);
    if (code) ticketFromUrl(code);
    var ready = L.loadLang(L.pickLang(), DICTS).then(applyLang, function () { /* texts stay as served */ });
    if (code) {
      $('#code').value = code;
      ready.then(function () { join(code); });
    }
  }

  start();
})(window);
