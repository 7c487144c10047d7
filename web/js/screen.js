/* Loupe projector screen (/screen/{code}): read-only, large, aggregates only. It never shows a
 * name (challenge mode's generated pseudonyms, top 3 only, are the one exception) and never the
 * teacher's notes. It connects with role "screen" and the screen token the console left in
 * localStorage (Loupe.store "screen.<code>"; never in the URL). ES2017 at most; text is always
 * inserted as text.
 *
 * Keys: B or "." = blank screen, F = full screen, Escape = leave the blank screen. The console's
 * blank screen (store "blank.<code>") and language choice are followed live.
 *
 * data-testid: screen-wait, screen-no-token, screen-no-token-text, screen-lobby, join-address,
 *   join-code, join-qr, presence, screen-intro, screen-title, content-warning, screen-question,
 *   q-index, round, timer, q-text, answer-count, screen-results, results-index, stage,
 *   results-text, explanation, screen-summary, screen-ended, screen-paused, screen-blank,
 *   foot-join, conn-status, lang-switch (charts: see charts.js)
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var C = global.LoupeCharts;
  var Live = global.LoupeLive;
  var t = function (k, v) { return L.t(k, v); };
  var DICTS = ['common', 'host'];

  var code = '';
  /** The session as live.js follows it, and the projector's own fields (`texts`: question
   *  texts kept for a reload, as the results of a question shown before carry none). */
  var S = Live.state({ conn: null, connState: null, ended: false, noToken: null, texts: {}, ticket: null });

  // ---------------------------------------------------------------- question texts (survive a reload)

  function loadTexts() {
    try { S.texts = JSON.parse(global.sessionStorage.getItem('loupe.screen.' + code) || '{}') || {}; }
    catch (e) { S.texts = {}; }
  }

  function saveText(id, text) {
    S.texts[id] = text;
    try { global.sessionStorage.setItem('loupe.screen.' + code, JSON.stringify(S.texts)); } catch (e) { /* ignore */ }
  }

  // ---------------------------------------------------------------- rendering

  function total() { return Live.total(S); }

  function shortAddress() {
    return Live.shortAddress(L.store.get('screen.' + code + '.url'), global.location.host);
  }

  function renderTimer() {
    Live.renderTimer(L.$('#sq-timer'), Live.timeLeft(S.timer, Date.now()));
  }

  function renderLobby() {
    Live.renderJoin(code, shortAddress(), S.ticket, S.presence.connected);
  }

  function renderIntro() {
    var info = S.info || {};
    L.$('#si-h').textContent = info.title || '';
    var w = L.$('#intro-warning');
    w.hidden = !info.content_warning;
    w.textContent = info.content_warning ? t('host.library.warning') + ' ' + info.content_warning : '';
  }

  function renderQuestion() {
    var q = S.question;
    if (!q) return;
    L.$('#sq-index').textContent = t('host.run.index', { n: q.index + 1, total: q.total });
    L.$('#sq-round').hidden = q.round !== 2;
    L.$('#sq-text').textContent = q.text;
    var box = L.$('#sq-options');
    var sig = JSON.stringify([q.question, q.round, q.options, q.scale, L.lang()]);
    if (box.getAttribute('data-sig') !== sig) {
      box.setAttribute('data-sig', sig);
      L.clear(box);
      box.appendChild(C.optionList(q.options.map(function (o) { return o.text; })));
      if (q.scale) {
        box.appendChild(L.el('p', { 'class': 'hint', 'data-testid': 'scale-legend', text: Live.scaleText(q.scale) }));
      }
    }
    var a = S.answers;
    var n = a && a.question === q.question && a.round === q.round ? a.count : 0;
    L.$('#sq-count').textContent = C.tn('host.run.answers', n);
    renderTimer();
  }

  function renderResults() {
    var p = S.phase;
    var id = p.question;
    var r = id ? S.results[id] : null;
    var idx = typeof p.index === 'number' ? p.index : -1;
    L.$('#sr-index').textContent = idx >= 0 ? t('host.run.index', { n: idx + 1, total: total() }) : '';
    L.$('#sr-stage').textContent = t('screen.stage.' + p.stage);
    L.$('#sr-text').textContent = (id && (S.texts[id] || (r && r.text))) || '';
    var chart = L.$('#sr-chart');
    var sig = JSON.stringify([id, r, L.lang()]);
    if (chart.getAttribute('data-sig') === sig) return renderReveal(p, id);
    chart.setAttribute('data-sig', sig);
    L.clear(chart);
    if (r) {
      chart.appendChild(C.bars({ options: r.options, results: r.results, second: r.second_vote || null,
        correct: r.correct || null, minCount: S.info ? S.info.min_count : 0 }));
    } else {
      chart.appendChild(L.el('p', { 'class': 'lead', text: t('screen.closed') }));
    }
    renderReveal(p, id);
  }

  function renderReveal(p, id) {
    var rv = id ? S.reveals[id] : null;
    var ex = L.clear(L.$('#sr-explanation'));
    ex.hidden = !(p.stage === 'revealed' && rv && rv.explanation);
    if (!ex.hidden) ex.appendChild(L.el('p', { text: rv.explanation }));
    var pod = L.clear(L.$('#sr-podium'));
    pod.hidden = !(p.stage === 'revealed' && rv && rv.podium && rv.podium.length);
    if (!pod.hidden) {
      pod.appendChild(L.el('h2', { text: t('chart.podium') }));
      pod.appendChild(C.podium(rv.podium));
    }
  }

  function renderSummary() {
    var box = L.$('#ss-body');
    var sig = JSON.stringify([S.summary, L.lang()]);
    if (box.getAttribute('data-sig') === sig) return;
    box.setAttribute('data-sig', sig);
    L.clear(box);
    if (S.summary) box.appendChild(C.summary(S.summary, S.info ? S.info.min_count : 0));
  }

  function viewFor() {
    if (S.noToken) return 'no-token';
    if (S.ended) return 'ended';
    var p = S.phase;
    if (!p) return 'wait';
    switch (p.stage) {
      case 'lobby': return 'lobby';
      case 'intro': return 'intro';
      case 'open': return 'question';
      case 'finished': return 'summary';
      default: return 'results';
    }
  }

  function render() {
    var view = viewFor();
    if (S.info && S.info.lang) {
      // Quiz content is in the quiz's language, whatever the page's.
      ['#si-h', '#intro-warning', '#sq-text', '#sq-options', '#sr-text', '#sr-chart', '#sr-explanation', '#sr-podium', '#ss-body']
        .forEach(function (s) { L.$(s).setAttribute('lang', S.info.lang); });
    }
    L.showView('view-' + view);
    if (view === 'no-token') L.$('#no-token-text').textContent = t(S.noToken);
    if (view === 'lobby') renderLobby();
    if (view === 'intro') renderIntro();
    if (view === 'question') renderQuestion();
    if (view === 'results') renderResults();
    if (view === 'summary') renderSummary();
    var p = S.phase;
    L.$('#paused').hidden = !(p && p.paused && !S.ended && p.stage !== 'lobby' && p.stage !== 'finished');
    var foot = L.$('#foot-join');
    foot.textContent = code && view !== 'lobby' && view !== 'no-token' && !S.ended
      ? t('screen.foot_join', { address: shortAddress(), code: code }) : '';
    var c = L.$('#conn');
    var s = S.connState;
    c.hidden = !s || s === 'open' || S.ended;
    if (!c.hidden) {
      c.className = Live.connClass(s);
      c.textContent = t('host.conn.' + s);
    }
    document.title = (S.info && S.info.title ? S.info.title + ' · ' : '') + 'Loupe';
  }

  // ---------------------------------------------------------------- connection

  function onMessage(msg) {
    if (Live.apply(S, msg, Date.now())) {
      if (msg.type === 'question') saveText(msg.question, msg.text);
    } else if (msg.type === 'ended') {
      S.ended = true;
    } else {
      return;
    }
    render();
  }

  function connect(token) {
    S.conn = new L.Session({
      role: 'screen',
      code: code,
      secret: function () { return token; },
      onWelcome: function (msg) { S.info = msg.session; S.ticket = msg.ticket || null; },
      onMessage: onMessage,
      onState: function (state, detail) {
        S.connState = state;
        if (state === 'closed') {
          var d = detail || {};
          var err = d.error && d.error.code;
          if (d.code === 4000 || d.code === 4004 || err === 'unknown_session') S.ended = true;
          else if (err === 'bad_secret' || d.code === 4003) S.noToken = 'screen.bad_token';
          else if (d.code === 4001) S.noToken = 'screen.replaced';
          if (S.ended) L.store.remove('screen.' + code);
        }
        render();
      }
    });
    S.conn.connect();
  }

  // ---------------------------------------------------------------- keys, blank, language

  function setBlank(on) {
    L.$('#blank').hidden = !on;
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key;
    if (k === 'b' || k === 'B' || k === '.') {
      setBlank(L.$('#blank').hidden);
    } else if (k === 'Escape') {
      setBlank(false);
    } else if (k === 'f' || k === 'F') {
      var d = document, el = d.documentElement;
      try {
        if (d.fullscreenElement || d.webkitFullscreenElement) (d.exitFullscreen || d.webkitExitFullscreen).call(d);
        else if (el.requestFullscreen) el.requestFullscreen();
        else if (el.webkitRequestFullscreen) el.webkitRequestFullscreen();
      } catch (e) { /* not allowed */ }
    } else {
      return;
    }
    ev.preventDefault();
  }

  function setLang(lang) {
    return L.loadLang(lang, DICTS).catch(function () { return L.loadLang(lang, ['host']); }).then(function () {
      L.$('#btn-lang').setAttribute('lang', L.lang() === 'fr' ? 'en' : 'fr');
      render();
    });
  }

  function boot() {
    // One page serves every session: the code is in the address (/screen/123456).
    var m = /^\/screen\/(\d{6})\/?$/.exec(global.location.pathname);
    code = m ? m[1] : '';
    if (L.store.get('large') === '1') document.documentElement.classList.add('large');
    document.addEventListener('keydown', onKey);
    L.$('#btn-lang').addEventListener('click', function () {
      var next = L.lang() === 'fr' ? 'en' : 'fr';
      L.store.set('lang', next);
      setLang(next);
    });
    global.addEventListener('storage', function (ev) {
      if (ev.key === 'loupe.blank.' + code) setBlank(ev.newValue === '1');
      if (ev.key === 'loupe.lang' && (ev.newValue === 'fr' || ev.newValue === 'en') && ev.newValue !== L.lang()) {
        setLang(ev.newValue);
      }
    });
    setBlank(L.store.get('blank.' + code) === '1');
    global.setInterval(function () { if (viewFor() === 'question') renderTimer(); }, 500);
    loadTexts();
    setLang(L.pickLang()).then(function () {
      var token = code ? L.store.get('screen.' + code) : null;
      if (!token) {
        S.noToken = 'screen.no_token';
        render();
        return;
      }
      connect(token);
    });
  }

  document.addEventListener('DOMContentLoaded', boot);
})(window);
