/* Loupe live session, shared by the console (host*.js), the phone remote (remote.js) and the
 * projector (screen.js): the state the server's messages build, what "next" and "previous" do,
 * the question timer, and the few pieces the three pages draw alike (join code, timer, the
 * teacher's notes). The model functions are pure (time comes in as `now`), so tests/js can check
 * them under Node; the drawing functions only run in a page. Needs core.js and charts.js.
 * ES2017 at most; text is always inserted as text.
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var t = function (k, v) { return L.t(k, v); };

  // ---------------------------------------------------------------- the state of a session

  /**
   * A fresh session state: what the shared messages fill in, plus the page's own `extra` fields.
   *   info      the welcome's session (title, lang, questions, min_count, mode …)
   *   phase     the last `phase` message;  question  the last `question` message
   *   order     question ids by position, as far as known;  questions  id → {text, options, index}
   *   facilitator, results, reveals   id → the last message of that type
   *   answers, presence, help, summary, timer (see timerFrom)
   */
  function state(extra) {
    var st = {
      info: null, phase: null, question: null, order: [], questions: {}, facilitator: {},
      answers: null, results: {}, reveals: {}, presence: { connected: 0, joined: 0 }, help: 0,
      summary: null, timer: timerFrom(null)
    };
    for (var k in (extra || {})) st[k] = extra[k];
    return st;
  }

  /**
   * Applies server message `msg` (received at `now`, ms) to `st`. Returns true when it was one
   * of the messages every page follows the same way; the page handles the others (and may add
   * to these: the console also closes its notes on a new question, the projector keeps texts).
   */
  function apply(st, msg, now) {
    var id = msg.question;
    switch (msg.type) {
      case 'phase':
        st.phase = msg;
        if (id && typeof msg.index === 'number') st.order[msg.index] = id;
        return true;
      case 'question':
        st.question = msg;
        st.order[msg.index] = id;
        st.questions[id] = { text: msg.text, index: msg.index, options: msg.options.map(function (o) { return o.text; }) };
        // A first vote starts afresh (the question may have been shown before, then skipped).
        if (msg.round === 1) { delete st.results[id]; delete st.reveals[id]; }
        st.answers = null;
        st.timer = timerFrom(msg.time_left_ms, false, now);
        return true;
      case 'timer': st.timer = timerFrom(msg.time_left_ms, msg.paused, now); return true;
      case 'facilitator': st.facilitator[id] = msg; return true;
      case 'answers': st.answers = msg; return true;
      case 'presence': st.presence = { connected: msg.connected, joined: msg.joined }; return true;
      case 'results':
        st.results[id] = msg;
        if (!st.questions[id]) st.questions[id] = { text: '', options: msg.options };
        return true;
      case 'reveal': st.reveals[id] = msg; return true;
      case 'summary': st.summary = msg; return true;
      case 'help_requests': st.help = msg.total; return true;
      default: return false;
    }
  }

  // ---------------------------------------------------------------- where the lesson is

  /** Number of questions in the session (from the welcome; else as many as are known). */
  function total(st) { return (st.info && st.info.questions) || st.order.length || 0; }

  /** The question shown now (open, closed, revealed or reviewed), or null. */
  function shownId(st) {
    return st.phase && st.phase.question ? st.phase.question : null;
  }

  /** The question the teacher's notes are about: the one shown, else the last opened, or null. */
  function notesId(st) {
    return shownId(st) || (st.question && st.question.question) || null;
  }

  /** The 0-based position of the last question opened (whatever is reviewed), or -1. */
  function currentIndex(st) {
    var p = st.phase;
    if (p && typeof p.current === 'number') return p.current;
    if (st.question) return st.question.index;
    return p && p.stage !== 'review' && typeof p.index === 'number' ? p.index : -1;
  }

  /** What "next" does now: [command type, label key], or null (nothing comes next). */
  function nextAction(st) {
    var p = st.phase;
    if (!p) return null;
    var n = total(st);
    var last = n > 0 && currentIndex(st) >= n - 1;
    switch (p.stage) {
      case 'lobby': return ['start', 'host.cmd.start'];
      case 'intro': return ['next', 'host.cmd.first'];
      case 'open': return ['close', 'host.cmd.close'];
      case 'closed': return ['reveal', 'host.cmd.reveal'];
      case 'revealed':
      case 'review': return ['next', last ? 'host.cmd.to_summary' : 'host.cmd.next_q'];
      default: return null;
    }
  }

  /** The id of the question before the one shown, whose results "previous" brings back, or null
   *  (none while answers are open, before the first question, or after the end). */
  function previousId(st) {
    var p = st.phase;
    if (!p || ['open', 'lobby', 'intro', 'finished'].indexOf(p.stage) >= 0) return null;
    var from = typeof p.index === 'number' ? p.index : currentIndex(st) + 1;
    for (var i = from - 1; i >= 0; i--) if (st.order[i]) return st.order[i];
    return null;
  }

  // ---------------------------------------------------------------- the question timer

  /** The timer from a server value: `leftMs` left at `now` (none: untimed), stopped if `paused`. */
  function timerFrom(leftMs, paused, now) {
    if (leftMs === undefined || leftMs === null) return { endsAt: null, left: null, paused: false };
    return { endsAt: paused ? null : now + leftMs, left: leftMs, paused: !!paused };
  }

  /** Milliseconds left on `timer` at `now` (never below 0), or null when untimed. */
  function timeLeft(timer, now) {
    if (!timer || timer.left === null) return null;
    if (timer.paused || timer.endsAt === null) return timer.left;
    return Math.max(0, timer.endsAt - now);
  }

  /** "m:ss" for `ms`, counting a started second as a whole one (0:01 until the very end). */
  function clock(ms) {
    var s = Math.ceil(ms / 1000);
    return Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2);
  }

  /** Whether `ms` left is the last ten seconds (the timer is then drawn in the warning colour). */
  function low(ms) { return Math.ceil(ms / 1000) <= 10; }

  // ---------------------------------------------------------------- texts

  /** "192.168.1.20:8080" from "http://192.168.1.20:8080/join/123456" (`host` when none). */
  function shortAddress(joinUrl, host) {
    if (!joinUrl) return host;
    return joinUrl.replace(/^[a-z]+:\/\//i, '').replace(/\/join\/\d{6}$/, '').replace(/\/$/, '');
  }

  /** The class of the connection line for a `Loupe.Session` state. */
  function connClass(state) {
    return 'status conn' + (state === 'open' ? ' ok' : state === 'blocked' || state === 'closed' ? ' error' : ' warn');
  }

  /** The legend of a scale question ("1 = never … 5 = always"). */
  function scaleText(scale) {
    return t('host.run.scale', { min: scale.min, min_label: scale.min_label, max: scale.max, max_label: scale.max_label });
  }

  /** The "talk to an adult" line the teacher alone sees. */
  function helpText(n) {
    return n ? global.LoupeCharts.tn('host.private.help', n) + ' ' + t('host.private.help_what') : t('host.private.help_none');
  }

  /** The answer key of facilitator message `f` as lines ("B. text — correct answer", or each
   *  option's points), or one "opinion, no right answer" line; `options` are the option texts. */
  function keyLines(f, options) {
    var letter = global.LoupeCharts.letter;
    var opts = options || [];
    var set = function (x) { return x !== null && x !== undefined; };
    if (f.correct && f.correct.length) {
      return f.correct.map(function (i) { return letter(i) + '. ' + (opts[i] || '') + ' — ' + t('host.q.correct'); });
    }
    if (f.points && f.points.some(set)) {
      var out = [];
      f.points.forEach(function (x, i) {
        if (set(x)) out.push(letter(i) + '. ' + (opts[i] || '') + ' — ' + t('host.q.points', { n: x }));
      });
      return out;
    }
    return [t('host.private.opinion')];
  }

  /** The notes of facilitator message `f` that it has, in the order shown: [label key, text]. */
  function noteLines(f) {
    return [['host.notes.prompt', f.prompt], ['host.notes.key_fact', f.key_fact], ['host.notes.tip', f.tip],
      ['host.notes.explanation', f.explanation], ['host.notes.source', f.source]]
      .filter(function (n) { return n[1]; });
  }

  // ---------------------------------------------------------------- drawing (pages only)

  /** Fills the join panel (`#join-address`, `#join-code`, `#join-qr`, `#presence`). */
  function renderJoin(code, address, ticket, connected) {
    L.$('#join-address').textContent = address;
    var box = L.clear(L.$('#join-code'));
    box.appendChild(L.el('span', { text: code.slice(0, 3) }));
    box.appendChild(L.el('span', { text: code.slice(3) }));
    box.setAttribute('aria-label', code.split('').join(' '));
    var img = L.$('#join-qr');
    var src = L.qrSrc(code, ticket);
    if (img.getAttribute('src') !== src) img.setAttribute('src', src);
    img.setAttribute('alt', t('host.lobby.qr_alt', { address: address, code: code }));
    L.$('#presence').textContent = global.LoupeCharts.tn('host.lobby.presence', connected);
  }

  /** Shows `left` ms (null: hides the timer) in `node`. */
  function renderTimer(node, left) {
    node.hidden = left === null;
    if (left === null) return;
    node.textContent = t('host.run.timer', { time: clock(left) });
    node.classList.toggle('low', low(left));
  }

  /** Fills the teacher's private notes of the question `id` of `st`: the answer key in
   *  `keyBox`, the notes in `notesBox` (in the quiz's language). */
  function renderNotes(st, id, keyBox, notesBox) {
    var f = id ? st.facilitator[id] : null;
    L.clear(keyBox);
    L.clear(notesBox);
    if (!f) {
      keyBox.appendChild(L.el('p', { 'class': 'hint', text: t('host.private.none') }));
      return;
    }
    var list = L.el('ul', { 'class': 'key-list' });
    keyLines(f, (st.questions[id] || {}).options).forEach(function (line) {
      list.appendChild(L.el('li', { text: line }));
    });
    keyBox.appendChild(L.el('h3', { text: t('host.private.key') }));
    keyBox.appendChild(list);
    var lang = (st.info && st.info.lang) || null;
    noteLines(f).forEach(function (n) {
      notesBox.appendChild(L.el('p', {}, [L.el('strong', { text: t(n[0]) + ' ' }), L.el('span', { lang: lang, text: n[1] })]));
    });
  }

  global.LoupeLive = {
    state: state, apply: apply,
    total: total, shownId: shownId, notesId: notesId, currentIndex: currentIndex, nextAction: nextAction, previousId: previousId,
    timerFrom: timerFrom, timeLeft: timeLeft, clock: clock, low: low,
    shortAddress: shortAddress, connClass: connClass, scaleText: scaleText, helpText: helpText,
    keyLines: keyLines, noteLines: noteLines,
    renderJoin: renderJoin, renderTimer: renderTimer, renderNotes: renderNotes
  };
})(window);
