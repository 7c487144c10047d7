/* Loupe console tools: keyboard and presentation-clicker shortcuts, the blank screen, full
 * screen, the private panel (notes, answer key, "talk to an adult" count — hidden until asked
 * for, with a "visible if mirrored" warning while shown) and the challenge players list. The
 * phone-remote pairing and the device list are in host-remote.js.
 * ES2017 at most; text is always inserted as text.
 *
 * Shortcuts: PageDown / → / Space = next; PageUp / ← = previous result; B or "." = blank screen;
 *   F = full screen; N = notes (private panel); Escape = leave the blank screen or hide the panel.
 *
 * data-testid: cmd-private, cmd-blank, cmd-blank-end, cmd-fullscreen, blank, blank-back,
 *   private-panel, private-warning, answer-key, notes, help-count, private-hide,
 *   players, players-list, remove-<player id>
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var H = global.LoupeHost;
  var C = global.LoupeCharts;
  var Live = global.LoupeLive;
  var t = function (k, v) { return L.t(k, v); };

  var privateOpen = false;
  var blank = false;

  // ---------------------------------------------------------------- blank screen, full screen

  H.setBlank = function (on) {
    blank = !!on;
    L.$('#blank').hidden = !blank;
    var rec = H.st.session;
    if (rec) {
      // The projector window of this browser blanks too.
      if (blank) L.store.set('blank.' + rec.code, '1');
      else L.store.remove('blank.' + rec.code);
    }
    if (blank) L.$('#blank-back').focus();
  };

  H.toggleFullscreen = function () {
    var d = document;
    var el = d.documentElement;
    var inFs = d.fullscreenElement || d.webkitFullscreenElement;
    try {
      if (inFs) (d.exitFullscreen || d.webkitExitFullscreen).call(d);
      else if (el.requestFullscreen) el.requestFullscreen();
      else if (el.webkitRequestFullscreen) el.webkitRequestFullscreen();
    } catch (e) { /* not allowed: nothing to do */ }
  };

  // ---------------------------------------------------------------- private panel

  H.setPrivate = function (open) {
    privateOpen = !!open;
    var panel = L.$('#private-panel');
    panel.hidden = !privateOpen;
    L.$('#cmd-private').setAttribute('aria-expanded', privateOpen ? 'true' : 'false');
    L.$('#cmd-private').textContent = t(privateOpen ? 'host.private.hide' : 'host.cmd.private');
    if (privateOpen) {
      H.render();
      panel.scrollIntoView({ block: 'nearest' });
    }
  };

  /** A new question: the answer key of the last one must not stay on the wall. */
  H.onNewQuestion = function () {
    if (privateOpen) H.setPrivate(false);
  };

  function renderPrivate(st) {
    if (!privateOpen || st.view !== 'run') return;
    Live.renderNotes(st, Live.notesId(st), L.$('#private-key'), L.$('#private-notes'));
    L.$('#private-help').textContent = Live.helpText(st.help);
  }

  // ---------------------------------------------------------------- players (challenge mode)

  function renderPlayers(st) {
    var box = L.$('#players-box');
    var challenge = st.info && st.info.mode === 'challenge';
    box.hidden = !challenge || st.view !== 'run';
    if (box.hidden) return;
    L.$('#players-summary').textContent = C.tn('host.players.title', st.players.length);
    var list = L.$('#players-list');
    var sig = JSON.stringify(st.players) + L.lang();
    if (list.getAttribute('data-sig') === sig) return;
    list.setAttribute('data-sig', sig);
    L.clear(list);
    st.players.forEach(function (pl) {
      list.appendChild(L.el('li', {}, [
        L.el('span', { text: pl.name }),
        L.el('button', { type: 'button', 'class': 'secondary small', 'data-testid': 'remove-' + pl.id,
          'aria-label': t('host.players.remove_label', { name: pl.name }), text: t('host.players.remove'),
          on: { click: function () {
            H.confirm(t('host.players.confirm', { name: pl.name }), t('host.players.remove')).then(function (ok) {
              if (ok) H.send({ type: 'remove', player: pl.id });
            });
          } } })
      ]));
    });
  }

  // ---------------------------------------------------------------- keyboard

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (H.confirmOpen() || (H.remoteOpen && H.remoteOpen())) return;
    var view = H.st.view;
    if (['lobby', 'run', 'end'].indexOf(view) < 0 || typing(ev.target)) return;
    var key = ev.key;
    var onControl = ev.target && /^(BUTTON|A|SUMMARY)$/.test(ev.target.tagName);
    var handled = true;
    if (key === 'PageDown' || key === 'ArrowRight' || ((key === ' ' || key === 'Spacebar') && !onControl)) {
      if (!blank && view !== 'end') H.next();
    } else if (key === 'PageUp' || key === 'ArrowLeft') {
      if (!blank && view === 'run') H.back();
    } else if (key === 'b' || key === 'B' || key === '.') {
      H.setBlank(!blank);
    } else if (key === 'f' || key === 'F') {
      H.toggleFullscreen();
    } else if (key === 'n' || key === 'N') {
      if (view === 'run') H.setPrivate(!privateOpen);
    } else if (key === 'Escape') {
      if (blank) H.setBlank(false);
      else if (privateOpen) H.setPrivate(false);
      else handled = false;
    } else {
      handled = false;
    }
    if (handled) ev.preventDefault();
  }

  function setup() {
    document.addEventListener('keydown', onKey);
    L.$('#cmd-private').addEventListener('click', function () { H.setPrivate(!privateOpen); });
    L.$('#private-hide').addEventListener('click', function () {
      H.setPrivate(false);
      L.$('#cmd-private').focus();
    });
    L.$('#cmd-blank').addEventListener('click', function () { H.setBlank(true); });
    L.$('#end-blank').addEventListener('click', function () { H.setBlank(true); });
    L.$('#blank-back').addEventListener('click', function () { H.setBlank(false); });
    L.$('#blank').addEventListener('click', function (ev) { if (ev.target === L.$('#blank')) H.setBlank(false); });
    L.$('#cmd-fullscreen').addEventListener('click', H.toggleFullscreen);
    H.afterLang.push(function () { H.setPrivate(privateOpen); });
  }

  H.renderers.push(renderPrivate, renderPlayers);
  document.addEventListener('DOMContentLoaded', setup);
})(window);
