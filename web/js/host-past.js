/* Loupe console: how long this browser keeps its sessions (host secrets and labels of past
 * sessions), the "is this a shared computer?" question, and "Forget the sessions on this
 * computer". A past session is forgotten once its report has expired (the server deletes the
 * report then, so its secret opens nothing); on a shared computer a session is forgotten as soon
 * as it has ended ("End and clear", or ended by the server), so nobody can reopen it from here.
 * ES2017 at most; text is always inserted as text.
 *
 * data-testid: shared-ask, shared-yes, shared-no, shared-state, shared-change, past-forget-all
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var H = global.LoupeHost;
  var t = function (k, v) { return L.t(k, v); };
  var DAY = 86400000;
  /** The server's default --max-session-life, for records from before `ends_by` was kept. */
  var LIFE = 12 * 3600000;

  /** The end of the school year after `ms`: 31 August, 23:59:59.999 UTC (as the server). */
  function schoolYearEnd(ms) {
    var d = new Date(ms);
    var year = d.getUTCMonth() > 7 ? d.getUTCFullYear() + 1 : d.getUTCFullYear();
    return Date.UTC(year, 7, 31, 23, 59, 59, 999);
  }

  /** When the report of a session that ended at `ended` is deleted, for `retention`. */
  function reportExpiry(retention, ended) {
    if (retention === 'one_day') return ended + DAY;
    if (retention === 'school_year') return schoolYearEnd(ended);
    return ended + 30 * DAY;
  }

  /** When this browser forgets `rec`: when its report expires (as the server said, or as it will
   *  be computed from the end, or from the latest the session can end). */
  H.expiry = function (rec) {
    if (typeof rec.expires === 'number') return rec.expires;
    var end = typeof rec.ended_at === 'number' ? rec.ended_at
      : (typeof rec.ends_by === 'number' ? rec.ends_by : (rec.created || 0) + LIFE);
    return reportExpiry(rec.retention, end);
  };

  /** Whether this is a shared computer: true, false, or null when the console has not asked. */
  H.shared = function () {
    var v = L.store.get('host.shared');
    return v === '1' ? true : (v === '0' ? false : null);
  };

  /** Records the answer to "is this a shared computer?"; a shared one forgets ended sessions. */
  H.setShared = function (on) {
    L.store.set('host.shared', on ? '1' : '0');
    if (on) H.index().forEach(function (c) { var r = H.record(c); if (!r || r.ended) H.forget(c); });
  };

  /** Forgets the records whose report has expired (their secret opens nothing any more). */
  H.prune = function () {
    var now = Date.now();
    H.index().forEach(function (c) {
      var r = H.record(c);
      if (!r || H.expiry(r) < now) H.forget(c);
    });
  };

  /** Forgets every session of this browser: secrets, labels, projector tokens. */
  H.forgetAll = function () {
    H.index().forEach(H.forget);
    var doomed = [];
    try {
      for (var i = 0; i < global.localStorage.length; i++) {
        var k = global.localStorage.key(i) || '';
        if (/^loupe\.(host\.\d{6}|screen\.\d{6}(\.url)?|blank\.\d{6})$/.test(k)) doomed.push(k);
      }
    } catch (e) { /* storage disabled: nothing kept */ }
    doomed.forEach(function (k) { L.store.remove(k.slice(6)); });
    L.store.remove('host.index');
    L.store.remove('host.current');
  };

  /** Why a session ended by itself at its maximum life, in plain words. */
  H.endReasonText = function (rec) {
    var hours = rec && rec.ends_by && rec.created ? Math.round((rec.ends_by - rec.created) / 3600000) : 0;
    return hours > 0 ? L.t('host.end.max_life', { hours: hours }) : L.t('host.end.max_life_plain');
  };

  // ---------------------------------------------------------------- library: the question, forget all

  function renderShared(st) {
    if (st.view !== 'library') return;
    var shared = H.shared();
    L.$('#shared-ask').hidden = shared !== null;
    L.$('#shared-state-line').hidden = shared === null;
    if (shared !== null) L.$('#shared-state').textContent = t(shared ? 'host.shared.on' : 'host.shared.off');
    L.$('#past-forget-all').hidden = H.index().length === 0;
  }

  /** The end view on a shared computer, or after an end by the server: say what that means. */
  function renderEndNotes(st) {
    if (st.view !== 'end' || st.past) return;
    if (st.ended && st.endReason === 'max_life') L.$('#end-state').textContent = H.endReasonText(st.session);
    var hint = L.$('#end-hint');
    var shared = st.ended && H.shared();
    // Said plainly, not as a grey hint: leaving the page loses the way back to the summary.
    hint.className = shared ? 'status warn' : 'hint';
    if (shared) hint.textContent = t('host.end.shared_hint');
  }

  function answer(on) {
    H.setShared(on);
    H.render();
    L.$('#shared-state').setAttribute('tabindex', '-1');
    L.$('#shared-state').focus();
  }

  function setup() {
    L.$('#shared-yes').addEventListener('click', function () { answer(true); });
    L.$('#shared-no').addEventListener('click', function () { answer(false); });
    L.$('#shared-change').addEventListener('click', function () {
      L.store.remove('host.shared');
      H.render();
      L.$('#shared-yes').focus();
    });
    L.$('#past-forget-all').addEventListener('click', function () {
      H.confirm(t('host.past.forget_all_confirm'), t('host.past.forget_all')).then(function (ok) {
        if (!ok) return;
        H.forgetAll();
        H.render();
        H.notice(t('host.past.forgotten'), '');
        L.$('#past-h').setAttribute('tabindex', '-1');
        L.$('#past-h').focus();
      });
    });
  }

  H.renderers.push(renderShared, renderEndNotes);
  document.addEventListener('DOMContentLoaded', setup);
})(window);
