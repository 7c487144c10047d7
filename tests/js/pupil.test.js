// web/js/pupil-rules.js: what happens to a pupil's answer on its way (acknowledged, sent again,
// kept, dropped), what a closed connection means, client_seq, and which places a phone keeps.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { load } = require('./web.js');

const R = load(['js/core.js', 'js/pupil-rules.js']).Loupe.pupil.rules;

function answer(question, round, seq, options) {
  return { type: 'answer', question, round, client_seq: seq, choice: options ? { options } : 'pass' };
}

function ack(question, round, seq, options) {
  return { type: 'ack', question, round, client_seq: seq, choice: options ? { options } : 'pass' };
}

test('an acknowledgement settles the answer it is for, or an earlier one of the same round', () => {
  const pending = answer('q1', 1, 7, [0]);
  assert.equal(R.settles(pending, ack('q1', 1, 7, [0])), true);
  assert.equal(R.settles(pending, ack('q1', 1, 9, [1])), true, 'a later answer of this phone was recorded');
  assert.equal(R.settles(pending, ack('q1', 1, 6, [1])), false, 'an older answer acknowledged again');
  assert.equal(R.settles(pending, ack('q1', 2, 7, [0])), false, 'another round');
  assert.equal(R.settles(pending, ack('q2', 1, 7, [0])), false, 'another question');
  assert.equal(R.settles(null, ack('q1', 1, 7)), false, 'nothing on its way');
});

test('an answer belongs to one question and round', () => {
  const q = { type: 'question', question: 'q1', round: 2 };
  assert.equal(R.answers(answer('q1', 2, 1), q), true);
  assert.equal(R.answers(answer('q1', 1, 1), q), false);
  assert.equal(R.answers(answer('q3', 2, 1), q), false);
  assert.equal(R.answers(null, q), false);
  assert.equal(R.answers(answer('q1', 2, 1), null), false, 'no question yet');
});

test('the acknowledgement shown for a question is its latest round', () => {
  const acks = {};
  assert.equal(R.latestAck(acks, 'q1'), null);
  acks[R.ackKey('q1', 1)] = ack('q1', 1, 3, [0]);
  acks[R.ackKey('q2', 1)] = ack('q2', 1, 4, [1]);
  assert.equal(R.latestAck(acks, 'q1').client_seq, 3);
  acks[R.ackKey('q1', 2)] = ack('q1', 2, 5, [2]);
  assert.equal(R.latestAck(acks, 'q1').round, 2);
  assert.equal(R.ackKey('q1', 2), 'q1#2');
});

test('"Send" has nothing new when the ticks are those sent', () => {
  assert.equal(R.sameChoice(answer('q', 1, 1, [2, 0]), [0, 2]), true, 'in any order');
  assert.equal(R.sameChoice(answer('q', 1, 1, [2, 0]), [0]), false);
  assert.equal(R.sameChoice(answer('q', 1, 1), []), false, 'a pass is not a set of ticks');
  assert.equal(R.sameChoice(null, [1]), false);
  assert.equal(R.sameChoice(null, []), false, 'nothing sent, nothing ticked');
});

test('client_seq only grows, also past what the phone kept before a reload', () => {
  assert.equal(R.nextSeq(0, NaN), 1, 'first answer on this phone');
  assert.equal(R.nextSeq(3, NaN), 4);
  assert.equal(R.nextSeq(3, 10), 11, 'the stored counter is ahead (another tab, a reload)');
  assert.equal(R.nextSeq(12, 10), 13);
});

test('a phase that only pauses or resumes is no change: the answer kept then goes again', () => {
  assert.equal(R.phaseChanged('open', 'q1', { stage: 'open', question: 'q1', paused: false }), false);
  assert.equal(R.phaseChanged('open', 'q1', { stage: 'closed', question: 'q1' }), true);
  assert.equal(R.phaseChanged('revealed', 'q1', { stage: 'open', question: 'q2' }), true);
  assert.equal(R.phaseChanged('lobby', null, { stage: 'lobby' }), false, 'no question on either side');
  assert.equal(R.phaseChanged(null, null, { stage: 'lobby' }), true, 'the first phase');
});

test('after an error reply: busy goes again, paused keeps it, late says so, too fast is quiet', () => {
  assert.equal(R.afterError('busy'), 'retry');
  assert.equal(R.afterError('paused'), 'keep');
  assert.equal(R.afterError('question_not_open'), 'late');
  assert.equal(R.afterError('too_late'), 'late');
  assert.equal(R.afterError('rate_limited'), 'quiet');
  for (const code of ['bad_request', 'internal', undefined]) assert.equal(R.afterError(code), 'failed', String(code));
});

test('a connection closed for good: ended, replaced, removed, or refused with a reason', () => {
  assert.deepEqual(R.afterClose(4000), { stop: 'ended' });
  assert.deepEqual(R.afterClose(4001), { stop: 'replaced' });
  assert.deepEqual(R.afterClose(4002), { stop: 'removed' });
  const refused = [
    [4004, undefined, 'err.unknown'], [4003, 'unknown_session', 'err.unknown'],
    [4003, 'lobby_locked', 'err.locked'], [4003, 'session_full', 'err.full'],
    [4003, 'session_finished', 'err.finished'], [4003, 'bad_token', 'err.token'],
    [4005, undefined, 'err.version'], [4003, 'something_new', 'err.generic'], [undefined, undefined, 'err.generic'],
  ];
  for (const [code, err, key] of refused) assert.deepEqual(R.afterClose(code, err), { refused: key }, `${code} ${err}`);
});

test('the places a phone keeps, and when they are too old', () => {
  const keys = ['loupe.token.123456', 'loupe.seq.123456', 'loupe.pending.654321', 'loupe.lang',
    'loupe.token.12345', 'loupe.host.123456', 'other.token.111111', null, 'loupe.since.000001'];
  assert.deepEqual(R.placeCodes(keys), ['123456', '654321', '000001']);
  const day = 24 * 3600 * 1000;
  const now = 10 * day;
  assert.equal(R.placeExpired(now - 1000, now), false);
  assert.equal(R.placeExpired(now - day + 1, now), false);
  assert.equal(R.placeExpired(now - day, now), true, 'a day old');
  assert.equal(R.placeExpired(NaN, now), true, 'undated: from before places were dated');
  assert.equal(R.placeExpired(0, now), true);
});
