/* Loupe pupil page, drawing: every view, the feedback after a reveal, the private result, the
 * help panel and read-aloud. Reads the state `P.S` kept by pupil.js; never sends anything.
 * ES2017 at most; text from the quiz or the server is always inserted as text, never as HTML.
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var $ = L.$, el = L.el, clear = L.clear, t = L.t;
  var P = L.pupil = L.pupil || {};
  var LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

  function show(node, on) { node.hidden = !on; }
  function text(node, s) { node.textContent = s; }
  P.show = show;
  P.text = text;

  /** The quiz's language (its texts are in it, whatever the page language). */
  function qlang() { return (P.S.session && P.S.session.lang) || L.lang(); }

  /** Quiz text as shown: in French, no line break before ? ! : ; » (a no-break space). */
  function qtext(s) {
    s = String(s || '');
    return qlang() === 'fr' ? s.replace(/ ([?!:;»])/g, '\u00a0$1').replace(/« /g, '«\u00a0') : s;
  }

  /** "B — text" for option `i` of question `q` (just the value on a scale). */
  function optionLabel(q, i) {
    var opt = q && q.options && q.options[i];
    if (q && q.kind === 'scale') return opt ? opt.text : String(i + 1);
    return LETTERS.charAt(i) + (opt ? ' — ' + qtext(opt.text) : '');
  }

  function joinList(items) {
    if (items.length < 2) return items.join('');
    return items.slice(0, -1).join(', ') + ' ' + t('and') + ' ' + items[items.length - 1];
  }

  function describe(choice, q) {
    if (choice === 'pass') return t('q.pass');
    return joinList(((choice && choice.options) || []).map(function (i) { return optionLabel(q, i); }));
  }

  // ------------------------------------------------------------ banners

  // Banners and notes take a function giving their text (or null to hide them), kept so a
  // language switch can say them again.

  /** The connection banner ("Reconnecting…"). */
  P.setConn = function (says) {
    var node = $('#conn');
    P.connText = says || null;
    text(node, says ? says() : '');
    show(node, !!says);
  };

  /** The join form's error; it also gives the Join button back. */
  P.joinError = function (says) {
    var box = $('#join-error');
    P.joinErrorText = says || null;
    show($('#join-wait'), false);
    $('#join-btn').disabled = false;
    show(box, !!says);
    text(box, says ? says() : '');
  };

  function renderPause() {
    var S = P.S;
    show($('#pause'), S.paused && !S.stop && S.stage !== 'finished' && !!S.stage);
  }

  // ------------------------------------------------------------ views

  function viewFor() {
    var S = P.S;
    // Ended while the pupil reads their result: it stays on screen (storage is already wiped)
    // until they tap "Finish and clear".
    if (S.stop === 'ended' && S.view === 'v-finished' && S.resultOpen) return 'v-finished';
    if (S.stop) return 'v-stop';
    if (!S.stage) return 'v-join';
    if (S.stage === 'open') return S.q && S.q.question === S.phaseQ ? 'v-question' : 'v-wait';
    if (S.stage === 'closed') return 'v-closed';
    if (S.stage === 'revealed') return 'v-reveal';
    if (S.stage === 'finished') return 'v-finished';
    return 'v-wait';
  }

  /** Shows the view for the current state; `fresh`: rebuild it and move focus to its title. */
  P.render = function (fresh) {
    var S = P.S;
    var view = viewFor();
    var moved = view !== S.view;
    S.view = view;
    L.showView(view);
    renderPause();
    if (view === 'v-wait') renderWait();
    else if (view === 'v-question') { if (fresh || moved) P.buildQuestion(); P.updateQuestion(); }
    else if (view === 'v-closed') renderClosed();
    else if (view === 'v-reveal') renderReveal();
    else if (view === 'v-finished') P.renderFinished();
    else if (view === 'v-stop') renderStop();
    if ((fresh || moved) && view !== 'v-join') {
      var h = $('#' + view + ' h1');
      if (h) h.focus();
    }
  };

  function renderWait() {
    var S = P.S;
    var lobby = S.stage === 'lobby' || S.stage === 'intro';
    text($('#wait-session'), S.session ? qtext(S.session.title) : '');
    text($('#wait-title'), lobby ? t('lobby.in') : t('look.title'));
    var name = $('#wait-name');
    show(name, lobby && !!S.name);
    if (S.name) text(name, t('lobby.name', { name: S.name }));
    show($('#wait-pass'), lobby);
    var cw = S.session && S.session.content_warning;
    show($('#wait-warning'), lobby && !!cw);
    text($('#wait-warning-text'), qtext(cw));
    $('#wait-warning-text').setAttribute('lang', qlang());
  }

  P.buildQuestion = function () {
    var q = P.S.q;
    var lang = qlang();
    text($('#q-progress'), t('q.progress', { n: q.index + 1, total: q.total }));
    show($('#q-round'), q.round > 1);
    var title = $('#q-text');
    text(title, qtext(q.text));
    title.setAttribute('lang', lang);
    show($('#q-sensitive'), !!q.sensitive);
    show($('#q-hint'), q.kind === 'multiple');
    show($('#q-send'), q.kind === 'multiple');
    var box = clear($('#q-options'));
    box.className = 'options' + (q.kind === 'scale' ? ' scale' : '');
    q.options.forEach(function (opt, i) {
      var content = q.kind === 'scale'
        ? [el('span', { 'class': 'value', text: opt.text })]
        : [el('span', { 'class': 'shape shape-' + (i % 8), 'aria-hidden': 'true' }),
          el('span', { 'class': 'letter', text: LETTERS.charAt(i) }),
          el('span', { 'class': 'text', lang: lang, text: qtext(opt.text) })];
      content.push(el('span', { 'class': 'mark', 'aria-hidden': 'true' }));
      box.appendChild(el('button', {
        type: 'button',
        'class': q.kind === 'scale' ? 'scale-value' : 'option opt-' + (i % 8),
        'aria-pressed': 'false',
        'data-i': i,
        'data-testid': 'option-' + i,
        on: { click: function () { P.onOption(i); } }
      }, content));
    });
    if (q.kind === 'scale' && q.scale) {
      box.appendChild(el('div', { 'class': 'scale-ends', lang: lang }, [
        el('span', { text: q.scale.min + ' = ' + qtext(q.scale.min_label) }),
        el('span', { text: q.scale.max + ' = ' + qtext(q.scale.max_label) })
      ]));
    }
    P.updateTimer();
    P.speakStop();
  };

  /** Pressed states, the send button and the status line, without rebuilding (keeps focus). */
  P.updateQuestion = function () {
    var S = P.S;
    if (S.view !== 'v-question' || !S.q) return;
    var q = S.q;
    var ack = P.currentAck();
    var p = S.pending;
    var shown = p ? p.choice : ack ? ack.choice : null;
    var picked = q.kind === 'multiple' ? S.draft : (shown && shown.options) || [];
    L.$$('#q-options button').forEach(function (b) {
      var i = parseInt(b.getAttribute('data-i'), 10);
      b.setAttribute('aria-pressed', picked.indexOf(i) >= 0 ? 'true' : 'false');
      b.disabled = S.paused;
    });
    var pass = $('#q-pass');
    pass.setAttribute('aria-pressed', shown === 'pass' ? 'true' : 'false');
    pass.disabled = S.paused;
    var send = $('#q-send');
    text(send, ack ? t('q.send.again') : t('q.send'));
    send.disabled = S.paused || !S.draft.length || P.sameDraft();
    var status = $('#q-status');
    var line = null;
    if (S.note) line = S.note();
    else if (p) line = t('q.sending');
    else if (ack) {
      line = (ack.choice === 'pass' ? t('q.saved.pass') : t('q.saved', { choice: describe(ack.choice, q) })) +
        ' ' + t('q.change');
    }
    show(status, !!line);
    text(status, line || '');
    status.className = 'status' + (ack && !p && !S.note ? ' ok' : '');
  };

  P.updateTimer = function () {
    var S = P.S;
    var node = $('#q-timer');
    var left = S.deadline !== null ? S.deadline - Date.now() : S.leftMs;
    if (left === null || left === undefined) { show(node, false); return; }
    show(node, true);
    if (left <= 0) { text(node, t('q.time.up')); P.stopTimer(); return; }
    var s = Math.ceil(left / 1000);
    var m = Math.floor(s / 60);
    s = s % 60;
    text(node, t('q.time', { time: m + ':' + (s < 10 ? '0' : '') + s }));
  };

  function renderClosed() {
    var S = P.S;
    var a = S.phaseQ ? P.ackFor(S.phaseQ) : null;
    var node = $('#closed-yours');
    show(node, !!a);
    if (a) {
      text(node, a.choice === 'pass' ? t('q.saved.pass')
        : t('yours', { choice: describe(a.choice, P.questionById(a.question)) }));
    }
  }

  /** Kind feedback from the shared reveal and this phone's own acknowledged answer. */
  function feedback(r, q, a) {
    var picked = a && a.choice && a.choice.options ? a.choice.options : null;
    var correct = r.correct || [];
    var points = r.points || [];
    var answer = joinList(correct.map(function (i) { return optionLabel(q, i); }));
    var many = correct.length > 1;
    if (!picked) {
      // A pass or no answer: no judgement, just the answer when there is one.
      return {
        head: a ? t('reveal.passed') : t('reveal.none'),
        sub: !correct.length ? null
          : many ? t('reveal.answer.many', { answer: answer }) : t('reveal.answer.one', { answer: answer })
      };
    }
    if (correct.length) {
      var right = picked.filter(function (i) { return correct.indexOf(i) >= 0; }).length;
      var wrong = picked.length - right;
      if (right === correct.length && wrong === 0) return { head: t('reveal.right') };
      if (right > 0 && many) return { head: t('reveal.partly', { answer: answer }) };
      return { head: many ? t('reveal.wrong.many', { answer: answer }) : t('reveal.wrong.one', { answer: answer }) };
    }
    var scored = points.filter(function (x) { return typeof x === 'number'; });
    if (!scored.length) return { head: t('reveal.opinion') };
    var label = function (list) { return joinList(list.map(function (i) { return optionLabel(q, i); })); };
    if (q && q.kind === 'multiple') {
      // Self-assessment with several habits: suggest those with points not ticked yet.
      var missing = [];
      points.forEach(function (x, i) { if (x > 0 && picked.indexOf(i) < 0) missing.push(i); });
      return { head: missing.length ? t('reveal.try', { answer: label(missing) }) : t('reveal.best') };
    }
    var max = Math.max.apply(null, scored);
    var best = [];
    points.forEach(function (x, i) { if (x === max) best.push(i); });
    var mine = points[picked[0]] || 0;
    return { head: mine >= max ? t('reveal.best') : t('reveal.tip', { answer: label(best) }) };
  }

  function renderReveal() {
    var S = P.S;
    var r = S.reveal;
    var q = P.questionById(S.phaseQ);
    var kicker = $('#reveal-question');
    text(kicker, q ? qtext(q.text) : '');
    kicker.setAttribute('lang', qlang());
    var answer = $('#reveal-answer');
    var yours = $('#reveal-yours');
    var expl = $('#reveal-explanation');
    show(answer, false); show(yours, false); show(expl, false);
    if (!r || r.question !== S.phaseQ) { text($('#reveal-title'), t('look.title')); return; }
    var a = P.ackFor(r.question);
    var f = feedback(r, q, a);
    text($('#reveal-title'), f.head);
    if (f.sub) { text(answer, f.sub); show(answer, true); }
    if (a && a.choice !== 'pass') { text(yours, t('yours', { choice: describe(a.choice, q) })); show(yours, true); }
    if (r.explanation) {
      text(expl, qtext(r.explanation));
      expl.setAttribute('lang', qlang());
      show(expl, true);
    }
  }

  /** The private result, behind a tap: advice first, then the score (unless hidden). */
  P.renderFinished = function () {
    var S = P.S;
    var r = S.result;
    var btn = $('#result-btn');
    show(btn, !!r);
    show($('#result-wait'), !r);
    btn.setAttribute('aria-expanded', S.resultOpen ? 'true' : 'false');
    text(btn, S.resultOpen ? t('finished.hide') : t('finished.show'));
    show($('#result'), !!r && S.resultOpen);
    show($('#finished-ended'), S.stop === 'ended');
    if (!r) return;
    var lang = qlang();
    var band = clear($('#r-band'));
    if (r.band_title) band.appendChild(el('h2', { lang: lang, text: qtext(r.band_title) }));
    if (r.band_advice) band.appendChild(el('p', { lang: lang, text: qtext(r.band_advice) }));
    show(band, !!(r.band_title || r.band_advice));
    var tips = clear($('#r-tips'));
    (r.advice || []).forEach(function (item) {
      tips.appendChild(el('li', { lang: lang }, [
        el('p', { 'class': 'tip-q', text: qtext(item.text) }),
        el('p', { text: qtext(item.advice) })
      ]));
    });
    show($('#r-tips-box'), (r.advice || []).length > 0);
    var hidden = !!(S.session && S.session.hide_score);
    var hasScore = typeof r.score === 'number' && !hidden;
    // Too few answered scored questions: no score (and no points or rank), said kindly.
    var tooFew = !hidden && !hasScore && r.scored_questions < (r.min_questions || 0);
    show($('#r-score-box'), hasScore || tooFew);
    $('#r-score').className = tooFew ? 'too-few' : 'big-number';
    $('#r-score').setAttribute('data-state', tooFew ? 'too-few' : 'score');
    if (hasScore) {
      text($('#r-score'), t('result.outof', { score: r.score }));
      text($('#r-based'), r.scored_questions === 1 ? t('result.based.one')
        : t('result.based.many', { n: r.scored_questions }));
    } else if (tooFew) {
      text($('#r-score'), t('result.too_few'));
      text($('#r-based'), t('result.too_few.why', { min: r.min_questions, n: r.scored_questions }));
    }
    var pts = $('#r-points');
    var hasPoints = typeof r.points === 'number';
    show(pts, hasPoints);
    if (hasPoints) {
      text(pts, t('result.points', { points: r.points }) +
        (typeof r.rank === 'number' ? ' · ' + t('result.rank', { rank: r.rank }) : ''));
    }
    fillResources($('#r-help'));
  };

  function renderStop() {
    var k = P.S.stop;
    if (k === 'ended') {
      text($('#stop-title'), t('stop.ended.title'));
      text($('#stop-text'), t('stop.ended'));
    } else if (k === 'replaced') {
      text($('#stop-title'), t('stop.replaced.title'));
      text($('#stop-text'), t('stop.replaced'));
    } else {
      text($('#stop-title'), t('stop.removed.title'));
      text($('#stop-text'), t('stop.removed'));
    }
  }

  // ------------------------------------------------------------ help panel

  function staticResources() {
    return [
      { name: t('help.r1.name'), contact: t('help.r1.contact'), description: t('help.r1.desc') },
      { name: t('help.r2.name'), contact: t('help.r2.contact'), description: t('help.r2.desc') },
      { name: t('help.r3.name'), contact: t('help.r3.contact'), description: t('help.r3.desc') },
      { name: t('help.r4.name'), contact: t('help.r4.contact'), description: t('help.r4.desc') },
      { name: t('help.r5.name'), contact: t('help.r5.contact'), description: t('help.r5.desc') }
    ];
  }

  /** The quiz's help resources once the result brought them, else the page's own list. */
  function fillResources(list) {
    var S = P.S;
    var fromQuiz = S.result && S.result.resources && S.result.resources.length;
    var items = fromQuiz ? S.result.resources : staticResources();
    var lang = fromQuiz ? qlang() : L.lang();
    clear(list);
    items.forEach(function (r) {
      list.appendChild(el('li', { lang: lang }, [
        el('strong', { text: qtext(r.name) }),
        el('span', { 'class': 'contact', text: qtext(r.contact) }),
        el('span', { 'class': 'desc', text: qtext(r.description) })
      ]));
    });
  }

  P.renderHelp = function () {
    var S = P.S;
    fillResources($('#help-list'));
    var local = S.session && S.session.local_contact;
    show($('#help-local'), !!local);
    text($('#help-local-text'), local || '');
    var inSession = !!S.conn && !S.stop;
    show($('#talk-btn'), inSession && !S.talk);
    show($('#talk-explain'), inSession && !S.talk);
    show($('#talk-nosession'), !inSession && !S.talk);
    show($('#talk-done'), !!S.talk);
    text($('#talk-state'), S.talk === 'waiting' ? t('help.talk.waiting') : t('help.talk.sent'));
    show($('#privacy-challenge'), !!S.session && S.session.mode === 'challenge');
  };

  // ------------------------------------------------------------ read aloud

  var synth = global.speechSynthesis;
  var canSpeak = !!(synth && global.SpeechSynthesisUtterance);

  P.speakStop = function () {
    if (canSpeak) synth.cancel();
    var b = $('#read-btn');
    b.setAttribute('data-speaking', '');
    text(b, t('q.read'));
    show(b, canSpeak);
  };

  /** Reads the question and its options aloud in the quiz's language (a second tap stops). */
  P.speak = function () {
    var q = P.S.q;
    if (!q || !canSpeak) return;
    if ($('#read-btn').getAttribute('data-speaking')) { P.speakStop(); return; }
    var parts = [q.text];
    q.options.forEach(function (o, i) {
      parts.push(q.kind === 'scale' ? o.text : LETTERS.charAt(i) + '. ' + o.text);
    });
    if (q.kind === 'scale' && q.scale) {
      parts.push(q.scale.min + ': ' + q.scale.min_label + '. ' + q.scale.max + ': ' + q.scale.max_label);
    }
    var u = new global.SpeechSynthesisUtterance(parts.join('. \n'));
    u.lang = qlang();
    u.onend = P.speakStop;
    synth.cancel();
    synth.speak(u);
    $('#read-btn').setAttribute('data-speaking', '1');
    text($('#read-btn'), t('q.read.stop'));
  };
})(window);
