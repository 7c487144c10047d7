/* Loupe console: the lobby (giant code, QR code, short address, live device count, help when
 * nobody arrives) and the running quiz (question, answer count, results and reveal, commands).
 * ES2017 at most; text from quizzes and the server is always inserted as text.
 *
 * data-testid: join-address, join-code, join-qr, presence, no-arrivals, localhost-warning, start,
 *   lock, open-screen, remote-open,
 *   q-index, stage, round, timer, paused-banner, q-text, q-body, answer-count, explanation,
 *   scale-legend, intro, cmd-next, cmd-reveal, cmd-pause, cmd-add-time, cmd-revote, cmd-back,
 *   cmd-skip, cmd-finish, results-select, cmd-show-results, open-screen-run, remote-open-run
 *   (charts: see charts.js)
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var H = global.LoupeHost;
  var C = global.LoupeCharts;
  var Live = global.LoupeLive;
  var t = function (k, v) { return L.t(k, v); };
  var NO_ARRIVALS_AFTER = 30000;

  var lobbySince = null;
  var lobbyTimer = null;

  // ---------------------------------------------------------------- helpers

  /** The short address pupils type, from a join link (this page's host when none). */
  H.shortAddress = function (joinUrl) { return Live.shortAddress(joinUrl, global.location.host); };

  /** The question shown now (open, closed, revealed or reviewed), or null. */
  H.shownId = function () { return Live.shownId(H.st); };

  /** The index of the current (last opened) question, or -1. */
  H.currentIndex = function () { return Live.currentIndex(H.st); };

  function total() { return Live.total(H.st); }

  /** What "next" does now: [command, label key], or null. */
  H.nextAction = function () { return Live.nextAction(H.st); };

  /** Next step: start → question → close → reveal → next … */
  H.next = function () {
    var a = H.nextAction();
    if (a) H.send({ type: a[0] });
  };

  /** The question id of the result before the one shown, or null. */
  H.previousId = function () { return Live.previousId(H.st); };

  /** Back to the previous result (PageUp / ←). */
  H.back = function () {
    var id = H.previousId();
    if (id) H.send({ type: 'show_results', question: id });
    else H.notice(t('host.run.no_previous'), '');
  };

  /** Finish, after a confirmation. */
  H.finish = function () {
    H.confirm(t('host.confirm.finish'), t('host.cmd.finish')).then(function (ok) {
      if (ok) H.send({ type: 'finish' });
    });
  };

  /** Opens the projector window; the screen token goes through localStorage, never the URL. */
  H.openScreen = function () {
    var rec = H.st.session;
    if (!rec) return;
    L.store.set('screen.' + rec.code, rec.screen_token);
    if (rec.join_url) L.store.set('screen.' + rec.code + '.url', rec.join_url);
    var w = global.open('/screen/' + rec.code, 'loupe-screen-' + rec.code);
    if (!w) H.notice(t('host.lobby.popup_blocked'), 'warn');
  };

  // ---------------------------------------------------------------- lobby

  function renderLobby(st) {
    if (st.view !== 'lobby') {
      lobbySince = null;
      return;
    }
    var rec = st.session;
    if (!rec) return;
    if (lobbySince === null) {
      lobbySince = Date.now();
      if (lobbyTimer) global.clearTimeout(lobbyTimer);
      lobbyTimer = global.setTimeout(H.render, NO_ARRIVALS_AFTER + 50);
    }
    var addr = H.shortAddress(rec.join_url);
    Live.renderJoin(rec.code, addr, st.ticket, st.presence.connected);
    var help = L.$('#no-arrivals');
    var wasHidden = help.hidden;
    help.hidden = !(st.presence.joined === 0 && Date.now() - lobbySince >= NO_ARRIVALS_AFTER);
    if (wasHidden && !help.hidden) help.scrollIntoView({ block: 'nearest' });
    var local = /^(localhost|127\.|\[::1\])/.test(addr);
    var warn = L.$('#lobby-localhost');
    warn.hidden = !local;
    warn.textContent = local ? t('host.lobby.localhost') : '';
    var locked = !!(st.phase && st.phase.locked);
    var lock = L.$('#lobby-lock');
    lock.textContent = t(locked ? 'host.cmd.unlock' : 'host.cmd.lock');
    lock.setAttribute('aria-pressed', locked ? 'true' : 'false');
    L.$('#lobby-start').disabled = !st.phase || st.connState !== 'open';
  }

  // ---------------------------------------------------------------- running

  function stageText(p) {
    if (!p) return '';
    return t('host.stage.' + p.stage);
  }

  function renderTimer() {
    var open = H.st.phase && H.st.phase.stage === 'open';
    Live.renderTimer(L.$('#timer'), open ? H.timeLeft() : null);
  }

  function body(st, id) {
    var box = L.$('#q-body');
    var p = st.phase;
    var minCount = st.info ? st.info.min_count : (st.session && st.session.min_count);
    // Rebuilt only when what it shows changes (not on every new answer count).
    var sig = JSON.stringify([p.stage, id, st.questions[id], st.results[id], minCount, L.lang(),
      st.question && st.question.question === id ? st.question.scale : null, st.info && st.info.content_warning]);
    if (box.getAttribute('data-sig') === sig) return;
    box.setAttribute('data-sig', sig);
    L.clear(box);
    if (p.stage === 'intro') {
      var info = st.info || {};
      box.appendChild(L.el('div', { 'class': 'intro', 'data-testid': 'intro' }, [
        L.el('p', { 'class': 'lead', text: t('host.run.intro', { n: total() }) }),
        info.content_warning ? L.el('p', { 'class': 'status warn', text: t('host.library.warning') + ' ' + info.content_warning }) : null,
        L.el('p', { text: t('host.run.intro_pass') })
      ]));
      return;
    }
    var q = st.questions[id] || {};
    var r = st.results[id];
    if (p.stage !== 'open' && r) {
      box.appendChild(C.bars({ options: r.options, results: r.results, second: r.second_vote || null,
        correct: r.correct || null, minCount: minCount }));
    } else if (q.options) {
      box.appendChild(C.optionList(q.options));
    }
    var qm = st.question;
    if (qm && qm.question === id && qm.scale) {
      box.appendChild(L.el('p', { 'class': 'hint', 'data-testid': 'scale-legend', text: Live.scaleText(qm.scale) }));
    }
  }

  var lastShown = null;

  function renderRun(st) {
    if (st.view !== 'run' || !st.phase) return;
    var p = st.phase;
    var id = H.shownId();
    var shown = p.stage + ':' + id;
    if (shown !== lastShown) {
      // A new step: the question goes back to the top of the (projected) page.
      lastShown = shown;
      global.scrollTo(0, 0);
    }
    var q = (id && st.questions[id]) || {};
    var idx = typeof p.index === 'number' ? p.index : -1;
    L.$('#q-index').textContent = idx >= 0 ? t('host.run.index', { n: idx + 1, total: total() }) : '';
    L.$('#q-index').hidden = idx < 0;
    L.$('#stage').textContent = stageText(p);
    var round = st.question && st.question.question === id ? st.question.round : 1;
    var r = id ? st.results[id] : null;
    L.$('#round').hidden = !(p.stage === 'open' && round === 2) && !(r && r.second_vote);
    L.$('#paused-banner').hidden = !p.paused;
    var text = L.$('#q-text');
    var ql = (st.info && st.info.lang) || '';
    ['#q-text', '#q-body', '#explanation', '#run-podium'].forEach(function (s) {
      if (ql) L.$(s).setAttribute('lang', ql);
    });
    if (p.stage === 'intro') text.textContent = (st.info && st.info.title) || '';
    else if (p.stage === 'review') text.textContent = t('host.run.review', { n: idx + 1 }) + ' ' + (q.text || '');
    else text.textContent = q.text || t('host.run.index', { n: idx + 1, total: total() });
    body(st, id);

    var count = L.$('#answer-count');
    var a = st.answers;
    // While open: the number of answers only (never who, never per option). Afterwards the chart says it.
    count.hidden = p.stage !== 'open';
    count.textContent = p.stage !== 'open' ? '' : C.tn('host.run.answers', a && a.question === id ? a.count : 0);

    var rv = id ? st.reveals[id] : null;
    var ex = L.$('#explanation');
    var showEx = p.stage === 'revealed' && rv && rv.explanation;
    ex.hidden = !showEx;
    L.clear(ex);
    if (showEx) ex.appendChild(L.el('p', { text: rv.explanation }));
    var pod = L.clear(L.$('#run-podium'));
    pod.hidden = !(p.stage === 'revealed' && rv && rv.podium && rv.podium.length);
    if (!pod.hidden) {
      pod.appendChild(L.el('h2', { text: t('chart.podium') }));
      pod.appendChild(C.podium(rv.podium));
    }
    renderTimer();
    renderCommands(st, id, round);
  }

  function renderCommands(st, id, round) {
    var p = st.phase;
    var s = p.stage;
    var online = st.connState === 'open';
    var a = H.nextAction();
    var next = L.$('#cmd-next');
    next.textContent = a ? t(a[1]) : t('host.cmd.next_q');
    next.disabled = !a || !online;
    // "Reveal" is its own button only while answers are open (once closed, "next" reveals).
    L.$('#cmd-reveal').hidden = s !== 'open';
    L.$('#cmd-reveal').disabled = !online;
    var pause = L.$('#cmd-pause');
    pause.textContent = t(p.paused ? 'host.cmd.resume' : 'host.cmd.pause');
    pause.setAttribute('aria-pressed', p.paused ? 'true' : 'false');
    pause.disabled = !online || s === 'lobby' || s === 'finished';
    L.$('#cmd-add-time').disabled = !online || s !== 'open' || H.timeLeft() === null;
    var r = id ? st.results[id] : null;
    var current = st.question && st.question.question === id;
    L.$('#cmd-revote').disabled = !online || !(s === 'closed' || s === 'revealed') || !current || round !== 1 || !!(r && r.second_vote);
    L.$('#cmd-back').disabled = !online || !H.previousId();
    L.$('#cmd-skip').disabled = !online || !(s === 'open' || s === 'closed');
    L.$('#cmd-finish').disabled = !online || s === 'finished';
    renderResultsSelect(st);
  }

  function renderResultsSelect(st) {
    var sel = L.$('#results-select');
    var p = st.phase;
    var upTo = H.currentIndex();
    if (p.stage === 'open') upTo -= 1;
    var items = [];
    for (var i = 0; i <= upTo; i++) {
      var id = st.order[i];
      if (!id) continue;
      var q = st.questions[id] || {};
      var text = q.text ? (q.text.length > 70 ? q.text.slice(0, 67) + '…' : q.text) : '';
      items.push([id, t('host.run.select_item', { n: i + 1, text: text })]);
    }
    var sig = JSON.stringify(items);
    if (sel.getAttribute('data-sig') !== sig) {
      // Rebuilt only when the list changes, so an open list is not closed by a new count.
      var keep = sel.value;
      L.clear(sel);
      items.forEach(function (it) { sel.appendChild(L.el('option', { value: it[0], text: it[1] })); });
      var still = items.some(function (it) { return it[0] === keep; });
      if (still) sel.value = keep;
      else if (items.length) sel.value = items[items.length - 1][0];
      sel.setAttribute('data-sig', sig);
    }
    var none = sel.options.length === 0;
    sel.disabled = none;
    L.$('#cmd-show-results').disabled = none || p.stage === 'open' || st.connState !== 'open';
  }

  function setup() {
    L.$('#lobby-start').addEventListener('click', function () { H.send({ type: 'start' }); });
    L.$('#lobby-lock').addEventListener('click', function () {
      var locked = H.st.phase && H.st.phase.locked;
      H.send({ type: locked ? 'unlock' : 'lock' });
    });
    L.$('#lobby-screen').addEventListener('click', H.openScreen);
    L.$('#run-screen').addEventListener('click', H.openScreen);
    L.$('#cmd-next').addEventListener('click', H.next);
    L.$('#cmd-reveal').addEventListener('click', function () { H.send({ type: 'reveal' }); });
    L.$('#cmd-pause').addEventListener('click', function () {
      H.send({ type: H.st.phase && H.st.phase.paused ? 'resume' : 'pause' });
    });
    L.$('#cmd-add-time').addEventListener('click', function () { H.send({ type: 'add_time' }); });
    L.$('#cmd-revote').addEventListener('click', function () { H.send({ type: 'revote' }); });
    L.$('#cmd-back').addEventListener('click', H.back);
    L.$('#cmd-skip').addEventListener('click', function () {
      H.confirm(t('host.confirm.skip'), t('host.cmd.skip')).then(function (ok) {
        if (ok) H.send({ type: 'skip' });
      });
    });
    L.$('#cmd-finish').addEventListener('click', H.finish);
    L.$('#cmd-show-results').addEventListener('click', function () {
      var id = L.$('#results-select').value;
      if (id) H.send({ type: 'show_results', question: id });
    });
    global.setInterval(function () {
      if (H.st.view === 'run') renderTimer();
    }, 500);
  }

  H.renderers.push(renderLobby, renderRun);
  document.addEventListener('DOMContentLoaded', setup);
})(window);
