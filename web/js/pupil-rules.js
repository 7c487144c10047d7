/* Loupe pupil page, the rules pupil.js follows: which acknowledgement counts, when an answer
 * still waiting for its acknowledgement goes again or is dropped, what an error or a closed
 * connection means, the next client_seq, and which places this phone still keeps. Pure
 * functions of their inputs (no DOM, no storage, time comes in as `now`), so tests/js can check
 * them under Node. ES2017 at most.
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var P = L.pupil = L.pupil || {};

  /** A place left on a device whose page was not opened again is forgotten after a day (a
   *  session lives 12 h by default). */
  var PLACE_MAX_MS = 24 * 3600 * 1000;

  /** The key of an answer in the acknowledgements seen: question and round. */
  function ackKey(question, round) { return question + '#' + round; }

  /** The latest acknowledged answer to `question` among `acks` (any round, the latest wins). */
  function latestAck(acks, question) {
    var best = null;
    Object.keys(acks).forEach(function (k) {
      var a = acks[k];
      if (a.question === question && (!best || a.round >= best.round)) best = a;
    });
    return best;
  }

  /** Whether answer message `pending` answers question message (or ack) `q`: same question,
   *  same round. */
  function answers(pending, q) {
    return !!pending && !!q && pending.question === q.question && pending.round === q.round;
  }

  /** Whether acknowledgement `ack` settles `pending`: the same answer, or a later one of this
   *  phone (the server acknowledges again an answer it already has, with its client_seq). */
  function settles(pending, ack) {
    return answers(pending, ack) && pending.client_seq <= ack.client_seq;
  }

  /** Whether the ticked options `draft` are those of `sent` (the answer on its way, else the
   *  one acknowledged): then "Send" has nothing new to send. */
  function sameChoice(sent, draft) {
    var options = sent && sent.choice && sent.choice.options ? sent.choice.options.slice().sort() : null;
    return !!options && options.join() === draft.slice().sort().join();
  }

  /** The next client_seq: above both what this page used and what the phone kept (`stored`,
   *  NaN when there is none), so a reload never reuses one. */
  function nextSeq(seq, stored) {
    return Math.max(seq, stored || 0) + 1;
  }

  /** Whether `phase` message `msg` moves the lesson on (another stage or another question) from
   *  `stage` and `question` (the last phase's), rather than only pausing or resuming it. */
  function phaseChanged(stage, question, msg) {
    return msg.stage !== stage || (msg.question || null) !== question;
  }

  /**
   * What an error reply to an answer does to the answer waiting for its acknowledgement:
   *   'retry'  busy: the same answer again a little later
   *   'keep'   paused (a tap that crossed the pause, or after a restart): it goes on resume
   *   'late'   the question closed first: dropped, and the pupil is told
   *   'quiet'  rate_limited: dropped without a word (the pupil tapped too fast)
   *   'failed' anything else: dropped, with a plain "that did not work"
   */
  function afterError(code) {
    if (code === 'busy') return 'retry';
    if (code === 'paused') return 'keep';
    if (code === 'question_not_open' || code === 'too_late') return 'late';
    if (code === 'rate_limited') return 'quiet';
    return 'failed';
  }

  /**
   * What a connection closed for good (close `code`, the error code `err` of the last error
   * message) means: { stop: 'ended' | 'replaced' | 'removed' } (the page stops and says so), or
   * { refused: dictionary key } (the place is of no use any more: back to the join form).
   */
  function afterClose(code, err) {
    if (code === 4000) return { stop: 'ended' };
    if (code === 4001) return { stop: 'replaced' };
    if (code === 4002) return { stop: 'removed' };
    var key = 'err.generic';
    if (code === 4004 || err === 'unknown_session') key = 'err.unknown';
    else if (err === 'lobby_locked') key = 'err.locked';
    else if (err === 'session_full') key = 'err.full';
    else if (err === 'session_finished') key = 'err.finished';
    else if (err === 'bad_token') key = 'err.token';
    else if (code === 4005) key = 'err.version';
    return { refused: key };
  }

  /** The join codes of the places kept under storage keys `keys` (each code once). */
  function placeCodes(keys) {
    var codes = [];
    keys.forEach(function (k) {
      var m = /^loupe\.(token|seq|pending|q|name|since)\.([0-9]{6})$/.exec(k || '');
      if (m && codes.indexOf(m[2]) < 0) codes.push(m[2]);
    });
    return codes;
  }

  /** Whether a place kept since `since` (ms, NaN when undated) is too old to keep at `now`. */
  function placeExpired(since, now) {
    return !(since > 0 && now - since < PLACE_MAX_MS);
  }

  P.rules = {
    ackKey: ackKey, latestAck: latestAck, answers: answers, settles: settles, sameChoice: sameChoice,
    nextSeq: nextSeq, phaseChanged: phaseChanged, afterError: afterError, afterClose: afterClose,
    placeCodes: placeCodes, placeExpired: placeExpired
  };
})(window);
