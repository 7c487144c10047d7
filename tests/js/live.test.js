// web/js/live.js: what the console, the phone remote and the projector share — the state the
// server's messages build, the next step, "previous", the timer, and the notes' lines.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { load, loadWithLang, dictionary } = require('./web.js');

const SCRIPTS = ['js/core.js', 'js/charts.js', 'js/live.js'];
const Live = load(SCRIPTS).LoupeLive;

/** A state at `stage`, with a welcome for `questions` questions and `phase` fields. */
function at(stage, phase, questions) {
  const st = Live.state();
  st.info = { questions: questions === undefined ? 3 : questions };
  st.phase = Object.assign({ type: 'phase', stage, paused: false, locked: false }, phase || {});
  return st;
}

function question(id, index, extra) {
  return Object.assign({
    type: 'question', question: id, index, total: 3, round: 1, kind: 'single', text: 'Text of ' + id,
    options: [{ text: 'Yes' }, { text: 'No' }], sensitive: false,
  }, extra || {});
}

test('next: one command and one label for each stage', () => {
  const cases = [
    ['lobby', {}, ['start', 'host.cmd.start']],
    ['intro', {}, ['next', 'host.cmd.first']],
    ['open', { question: 'q1', index: 0, current: 0 }, ['close', 'host.cmd.close']],
    ['closed', { question: 'q1', index: 0, current: 0 }, ['reveal', 'host.cmd.reveal']],
    ['revealed', { question: 'q1', index: 0, current: 0 }, ['next', 'host.cmd.next_q']],
    ['review', { question: 'q1', index: 0, current: 1 }, ['next', 'host.cmd.next_q']],
    ['finished', {}, null],
  ];
  for (const [stage, phase, want] of cases) {
    assert.deepEqual(Live.nextAction(at(stage, phase)), want, stage);
  }
  assert.equal(Live.nextAction(Live.state()), null, 'no phase yet: no next step');
});

test('next after the last question leads to the summary, also while reviewing an earlier one', () => {
  assert.deepEqual(Live.nextAction(at('revealed', { question: 'q3', index: 2, current: 2 })),
    ['next', 'host.cmd.to_summary']);
  // A console reloaded while it shows question 1 again: no `question` message came (only the
  // phase), and `current` says the last question was opened.
  assert.deepEqual(Live.nextAction(at('review', { question: 'q1', index: 0, current: 2 })),
    ['next', 'host.cmd.to_summary']);
  // Without a welcome (no number of questions), never "summary".
  const unknown = at('revealed', { question: 'q1', index: 0 }, 0);
  assert.deepEqual(Live.nextAction(unknown), ['next', 'host.cmd.next_q']);
});

test('the current question: the phase says, else the last question message, else the phase index', () => {
  assert.equal(Live.currentIndex(at('review', { question: 'q1', index: 0, current: 2 })), 2);
  const st = at('closed', { question: 'q2', index: 1 });
  assert.equal(Live.currentIndex(st), 1);
  Live.apply(st, question('q3', 2), 0);
  assert.equal(Live.currentIndex(st), 2);
  assert.equal(Live.currentIndex(at('review', { question: 'q1', index: 0 })), -1, 'reviewing says nothing of the current one');
  assert.equal(Live.currentIndex(at('lobby')), -1);
  assert.equal(Live.currentIndex(Live.state()), -1);
});

test('previous: the question before the one shown, none while open or outside the questions', () => {
  const st = at('revealed', { question: 'q3', index: 2, current: 2 });
  st.order = ['q1', 'q2', 'q3'];
  assert.equal(Live.previousId(st), 'q2');
  st.phase = Object.assign({}, st.phase, { stage: 'review', question: 'q1', index: 0 });
  assert.equal(Live.previousId(st), null, 'nothing before the first');
  st.order = ['q1', undefined, 'q3'];
  st.phase = Object.assign({}, st.phase, { stage: 'revealed', question: 'q3', index: 2 });
  assert.equal(Live.previousId(st), 'q1', 'a position not known yet is skipped');
  for (const stage of ['open', 'lobby', 'intro', 'finished']) {
    const s = at(stage, { question: 'q2', index: 1, current: 1 });
    s.order = ['q1', 'q2'];
    assert.equal(Live.previousId(s), null, stage);
  }
  // A phase without an index (closed after a skip): before the current one.
  const closed = at('closed', { current: 1 });
  closed.order = ['q1', 'q2'];
  assert.equal(Live.previousId(closed), 'q2');
});

test('total: the welcome, else the known positions', () => {
  const st = Live.state();
  assert.equal(Live.total(st), 0);
  st.order = ['a', 'b'];
  assert.equal(Live.total(st), 2);
  st.info = { questions: 5 };
  assert.equal(Live.total(st), 5);
});

test('timer arithmetic: counts down from the time of the message, stops when paused, never below 0', () => {
  const none = Live.timerFrom(undefined, false, 1000);
  assert.deepEqual(none, { endsAt: null, left: null, paused: false });
  assert.equal(Live.timeLeft(none, 5000), null);
  assert.deepEqual(Live.timerFrom(null, true, 1000), none, 'untimed, paused or not');

  const running = Live.timerFrom(30000, false, 1000);
  assert.deepEqual(running, { endsAt: 31000, left: 30000, paused: false });
  assert.equal(Live.timeLeft(running, 1000), 30000);
  assert.equal(Live.timeLeft(running, 21000), 10000);
  assert.equal(Live.timeLeft(running, 31000), 0);
  assert.equal(Live.timeLeft(running, 99000), 0, 'never negative');

  const paused = Live.timerFrom(12345, true, 1000);
  assert.deepEqual(paused, { endsAt: null, left: 12345, paused: true });
  assert.equal(Live.timeLeft(paused, 999999), 12345, 'a paused timer keeps its time');
  assert.equal(Live.timeLeft(Live.timerFrom(0, false, 7), 7), 0);
});

test('the clock counts a started second whole, and the last ten seconds are low', () => {
  const cases = [[0, '0:00'], [1, '0:01'], [999, '0:01'], [1000, '0:01'], [1001, '0:02'],
    [59001, '1:00'], [60000, '1:00'], [61000, '1:01'], [600000, '10:00'], [605500, '10:06']];
  for (const [ms, want] of cases) assert.equal(Live.clock(ms), want, String(ms));
  assert.equal(Live.low(10000), true);
  assert.equal(Live.low(9001), true);
  assert.equal(Live.low(10001), false, '10.001 s shows 0:11');
  assert.equal(Live.low(0), true);
});

test('messages: phase and question keep the order, the texts and a fresh count', () => {
  const st = Live.state();
  assert.equal(Live.apply(st, { type: 'phase', stage: 'open', question: 'q2', index: 1, paused: false }, 0), true);
  assert.equal(st.order[1], 'q2');
  assert.equal(st.phase.stage, 'open');
  Live.apply(st, { type: 'phase', stage: 'closed', paused: false }, 0);
  assert.equal(st.order.length, 2, 'a phase without a question changes no position');

  st.answers = { type: 'answers', question: 'q1', round: 1, count: 4 };
  st.results.q3 = { type: 'results', question: 'q3' };
  st.reveals.q3 = { type: 'reveal', question: 'q3' };
  Live.apply(st, question('q3', 2, { time_left_ms: 20000 }), 5000);
  assert.equal(st.question.question, 'q3');
  assert.equal(st.order[2], 'q3');
  assert.deepEqual(st.questions.q3, { text: 'Text of q3', index: 2, options: ['Yes', 'No'] });
  assert.equal(st.answers, null, 'a new question starts at no answers');
  assert.equal(st.results.q3, undefined, 'a first vote forgets earlier results of that question');
  assert.equal(st.reveals.q3, undefined);
  assert.deepEqual(st.timer, { endsAt: 25000, left: 20000, paused: false });

  st.results.q3 = { type: 'results', question: 'q3' };
  Live.apply(st, question('q3', 2, { round: 2 }), 6000);
  assert.ok(st.results.q3, 'a second vote keeps the first one\'s results');
  assert.deepEqual(st.timer, { endsAt: null, left: null, paused: false }, 'an untimed vote');
});

test('messages: timer, answers, presence, results, reveal, summary, notes, help', () => {
  const st = Live.state();
  Live.apply(st, { type: 'timer', question: 'q1', time_left_ms: 9000, paused: true }, 100);
  assert.deepEqual(st.timer, { endsAt: null, left: 9000, paused: true });
  Live.apply(st, { type: 'timer', question: 'q1', time_left_ms: 9000, paused: false }, 100);
  assert.deepEqual(st.timer, { endsAt: 9100, left: 9000, paused: false });

  const answers = { type: 'answers', question: 'q1', round: 1, count: 3, pupils: 20 };
  Live.apply(st, answers, 0);
  assert.equal(st.answers, answers);
  Live.apply(st, { type: 'presence', connected: 12, joined: 14, seq: 9 }, 0);
  assert.deepEqual(st.presence, { connected: 12, joined: 14 });

  // Results of a question this page never saw open: its options, no text (the page says which).
  const results = { type: 'results', question: 'q9', text: 'Nine', options: ['A', 'B'], results: { answered: 0 } };
  Live.apply(st, results, 0);
  assert.equal(st.results.q9, results);
  assert.deepEqual(st.questions.q9, { text: '', options: ['A', 'B'] });
  // … and a question it knows keeps its text.
  Live.apply(st, question('q1', 0), 0);
  Live.apply(st, Object.assign({}, results, { question: 'q1', options: ['x'] }), 0);
  assert.equal(st.questions.q1.text, 'Text of q1');

  Live.apply(st, { type: 'reveal', question: 'q1', correct: [0] }, 0);
  assert.deepEqual(st.reveals.q1.correct, [0]);
  Live.apply(st, { type: 'summary', pupils: 3 }, 0);
  assert.equal(st.summary.pupils, 3);
  Live.apply(st, { type: 'facilitator', question: 'q1', prompt: 'Ask' }, 0);
  assert.equal(st.facilitator.q1.prompt, 'Ask');
  Live.apply(st, { type: 'help_requests', total: 2, new: 1 }, 0);
  assert.equal(st.help, 2);
});

test('messages a page handles itself are left alone', () => {
  const st = Live.state({ ended: false, players: [] });
  const before = JSON.stringify(st);
  for (const type of ['ended', 'players', 'devices', 'error', 'pairing_waiting', 'pong', 'welcome']) {
    assert.equal(Live.apply(st, { type, reason: 'x', players: [{ id: 'p' }] }, 0), false, type);
  }
  assert.equal(JSON.stringify(st), before);
});

test('a fresh state carries the page\'s own fields and shares nothing between pages', () => {
  const a = Live.state({ view: 'claiming' });
  const b = Live.state();
  assert.equal(a.view, 'claiming');
  a.order.push('q1');
  a.results.q1 = {};
  assert.deepEqual(b.order, []);
  assert.deepEqual(b.results, {});
  assert.deepEqual(b.presence, { connected: 0, joined: 0 });
});

test('the short address and the connection line', () => {
  assert.equal(Live.shortAddress('http://192.168.1.20:8080/join/123456', 'x'), '192.168.1.20:8080');
  assert.equal(Live.shortAddress('https://quiz.example.org/', 'x'), 'quiz.example.org');
  assert.equal(Live.shortAddress(null, 'here:1'), 'here:1');
  assert.equal(Live.connClass('open'), 'status conn ok');
  assert.equal(Live.connClass('closed'), 'status conn error');
  assert.equal(Live.connClass('blocked'), 'status conn error');
  assert.equal(Live.connClass('reconnecting'), 'status conn warn');
  assert.equal(Live.connClass('connecting'), 'status conn warn');
});

test('the notes are about the question shown, else the last one opened', () => {
  const st = at('review', { question: 'q1', index: 0, current: 1 });
  Live.apply(st, question('q2', 1), 0);
  assert.equal(Live.notesId(st), 'q1');
  st.phase = { type: 'phase', stage: 'closed' };
  assert.equal(Live.notesId(st), 'q2');
  assert.equal(Live.notesId(Live.state()), null);
});

for (const lang of ['fr', 'en']) {
  test(`the answer key and the notes, as the teacher reads them (${lang})`, async () => {
    const w = await loadWithLang(SCRIPTS, lang, ['common', 'host']);
    const L = w.LoupeLive;
    const d = dictionary('host', lang);
    const opts = ['Yes', 'No', 'Maybe'];
    assert.deepEqual(L.keyLines({ correct: [1] }, opts), ['B. No — ' + d['host.q.correct']]);
    assert.deepEqual(L.keyLines({ correct: [], points: [2, null, 0] }, opts),
      ['A. Yes — ' + d['host.q.points'].replace('{n}', '2'), 'C. Maybe — ' + d['host.q.points'].replace('{n}', '0')]);
    assert.deepEqual(L.keyLines({ correct: [], points: [null, null] }, opts), [d['host.private.opinion']]);
    assert.deepEqual(L.keyLines({ correct: [3] }, undefined), ['D.  — ' + d['host.q.correct']],
      'options not known yet: the letter alone');
    assert.deepEqual(L.noteLines({ source: 'S', prompt: 'P', tip: '', key_fact: 'K' }),
      [['host.notes.prompt', 'P'], ['host.notes.key_fact', 'K'], ['host.notes.source', 'S']]);
    assert.equal(L.helpText(0), d['host.private.help_none']);
    assert.equal(L.helpText(2), d['host.private.help_other'].replace('{n}', '2') + ' ' + d['host.private.help_what']);
    assert.equal(L.scaleText({ min: 1, min_label: 'never', max: 5, max_label: 'always' }),
      d['host.run.scale'].replace('{min}', '1').replace('{min_label}', 'never').replace('{max}', '5').replace('{max_label}', 'always'));
  });
}

test('drawing: the timer, the join panel and the notes', async () => {
  const w = await loadWithLang(SCRIPTS, 'en', ['common', 'host']);
  const L = w.LoupeLive;
  const doc = w.document;
  const d = dictionary('host', 'en');

  const timer = doc.make('timer', 'span');
  L.renderTimer(timer, null);
  assert.equal(timer.hidden, true);
  L.renderTimer(timer, 75000);
  assert.equal(timer.hidden, false);
  assert.equal(timer.textContent, d['host.run.timer'].replace('{time}', '1:15'));
  assert.equal(timer.classList.contains('low'), false);
  L.renderTimer(timer, 9500);
  assert.equal(timer.classList.contains('low'), true);

  ['join-address', 'join-code', 'presence'].forEach((id) => doc.make(id, 'p'));
  const img = doc.make('join-qr', 'img');
  L.renderJoin('123456', '192.168.1.20:8080', 'abcd', 1);
  assert.equal(doc.querySelector('#join-address').textContent, '192.168.1.20:8080');
  const code = doc.querySelector('#join-code');
  assert.deepEqual(code.children.map((s) => s.textContent), ['123', '456']);
  assert.equal(code.getAttribute('aria-label'), '1 2 3 4 5 6');
  assert.equal(img.getAttribute('src'), '/api/sessions/123456/qr.svg?ticket=abcd');
  assert.equal(img.getAttribute('alt'), d['host.lobby.qr_alt'].replace('{address}', '192.168.1.20:8080').replace('{code}', '123456'));
  assert.equal(doc.querySelector('#presence').textContent, d['host.lobby.presence_one'].replace('{n}', '1'));

  const key = doc.make('key');
  const notes = doc.make('notes');
  const st = Live.state({ info: { lang: 'fr' } });
  L.renderNotes(st, 'q1', key, notes);
  assert.equal(key.textContent, d['host.private.none']);
  L.apply(st, question('q1', 0), 0);
  L.apply(st, { type: 'facilitator', question: 'q1', correct: [0], prompt: 'Qui ?' }, 0);
  L.renderNotes(st, 'q1', key, notes);
  assert.deepEqual(key.children.map((n) => n.tagName), ['H3', 'UL']);
  assert.equal(key.children[1].textContent, 'A. Yes — ' + d['host.q.correct']);
  assert.equal(notes.children.length, 1);
  assert.equal(notes.children[0].children[1].getAttribute('lang'), 'fr', 'notes are in the quiz\'s language');
  assert.equal(notes.textContent, d['host.notes.prompt'] + ' Qui ?');
});
