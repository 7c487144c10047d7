/* Loupe console: the phone remote. Pairing is a warning, then a QR code valid 60 s and once; the
 * moment a phone claims it the QR code goes (the server says so with `devices`), and the console
 * asks "A phone wants to control this lesson — Accept / Refuse" ("Phone N", the number the phone
 * shows). Then the list of the devices that can drive the lesson, each with "Disconnect".
 * The console is on the projector: nothing here is secret (numbers and times only; the phone's
 * credential never reaches the console). ES2017 at most; text is always inserted as text (the QR
 * code SVG from the server is parsed as XML with DOMParser and imported, never assigned as HTML).
 *
 * Keyboard: the prompt takes the focus on its text (so a clicker's Space cannot accept a phone);
 *   Tab reaches Accept and Refuse; Escape refuses.
 *
 * data-testid: remote-panel, remote-warning, remote-show, remote-cancel, remote-qr, remote-countdown,
 *   remote-hide, remote-error, pair-ask, pair-ask-text, pair-ask-hint, pair-accept, pair-refuse,
 *   devices-lobby, devices-run, device-<n>, revoke-<n>
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var H = global.LoupeHost;
  var C = global.LoupeCharts;
  var t = function (k, v) { return L.t(k, v); };

  var remote = { timer: null, until: 0, opener: null, asking: null, step: null };

  function panel() { return L.$('#remote-panel'); }

  function label(n) { return t('host.remote.device_label', { n: n }); }

  function remoteStep(step) {
    remote.step = step;
    L.$('#remote-step-warn').hidden = step !== 'warn';
    L.$('#remote-step-qr').hidden = step !== 'qr';
    L.$('#remote-step-ask').hidden = step !== 'ask';
    L.$('#remote-h').textContent = t(step === 'ask' ? 'host.remote.ask_title' : 'host.remote.title');
  }

  function stopRemoteTimer() {
    if (remote.timer) global.clearInterval(remote.timer);
    remote.timer = null;
  }

  function clearQr() {
    stopRemoteTimer();
    var box = L.clear(L.$('#remote-qr'));
    box.removeAttribute('data-url');
  }

  /** Whether the pairing dialog is open (the keyboard shortcuts then stay off). */
  H.remoteOpen = function () { return !panel().hidden; };

  H.openRemote = function () {
    if (!H.st.session) return;
    if (!remote.opener) remote.opener = document.activeElement;
    clearQr();
    L.$('#remote-error').hidden = true;
    remote.asking = null;
    remoteStep('warn');
    panel().hidden = false;
    L.$('#remote-show').focus();
  };

  function closeRemote() {
    clearQr();
    remote.asking = null;
    panel().hidden = true;
    var back = remote.opener;
    remote.opener = null;
    if (back && back.focus && document.body.contains(back) && back.offsetParent !== null) back.focus();
  }

  function tickRemote() {
    var left = Math.max(0, Math.ceil((remote.until - Date.now()) / 1000));
    L.$('#remote-countdown').textContent = C.tn('host.remote.countdown', left);
    if (left <= 0) {
      clearQr();
      remoteStep('warn');
      showError(t('host.remote.expired'));
      L.$('#remote-show').focus();
    }
  }

  function showError(text) {
    var e = L.$('#remote-error');
    e.textContent = text;
    e.hidden = !text;
  }

  function showRemoteCode() {
    var rec = H.st.session;
    showError('');
    L.api('POST', '/api/sessions/' + rec.code + '/remote', undefined, { 'Authorization': 'Bearer ' + rec.host_secret })
      .then(function (r) {
        if (remote.step !== 'warn' || panel().hidden) return;
        var doc = new global.DOMParser().parseFromString(r.qr_svg, 'image/svg+xml');
        var svg = doc.documentElement;
        if (!svg || svg.nodeName.toLowerCase() !== 'svg') throw { error: 'internal' };
        var node = document.importNode(svg, true);
        node.setAttribute('role', 'img');
        node.setAttribute('aria-label', t('host.remote.qr_alt'));
        node.setAttribute('class', 'qr-svg');
        var box = L.clear(L.$('#remote-qr'));
        box.setAttribute('data-url', r.url);
        box.appendChild(node);
        remote.until = Date.now() + (r.expires_in || 60) * 1000;
        remoteStep('qr');
        stopRemoteTimer();
        tickRemote();
        remote.timer = global.setInterval(tickRemote, 500);
        L.$('#remote-hide').focus();
      })
      .catch(function (e) {
        showError(H.errorText(e && e.error ? e.error : 'network'));
      });
  }

  // ---------------------------------------------------------------- the teacher's answer

  /** Asks about waiting phone `n`: the QR code goes, the prompt comes (focus on its text). */
  function ask(n) {
    if (!remote.opener && panel().hidden) remote.opener = document.activeElement;
    clearQr();
    showError('');
    remote.asking = n;
    L.$('#pair-ask-text').textContent = t('host.remote.ask_text', { device: label(n) });
    L.$('#pair-ask-hint').textContent = t('host.remote.ask_hint', { device: label(n) });
    remoteStep('ask');
    panel().hidden = false;
    L.$('#pair-ask-text').focus();
  }

  function answer(accept) {
    var n = remote.asking;
    if (n === null) return;
    if (!H.send({ type: accept ? 'accept_device' : 'refuse_device', device: n })) return;
    remote.asking = null;
    if (accept) {
      closeRemote();
      H.notice(t('host.remote.accepted', { device: label(n) }));
    } else {
      remoteStep('warn');
      showError(t('host.remote.refused', { device: label(n) }));
      L.$('#remote-show').focus();
    }
  }

  /** A `devices` message: the first waiting phone is asked about; a phone answered elsewhere
   *  (another console window) stops being asked about. */
  H.onDevices = function (msg) {
    var waiting = msg.waiting || [];
    if (remote.asking !== null && waiting.indexOf(remote.asking) < 0) {
      remote.asking = null;
      if (remote.step === 'ask') closeRemote();
    }
    if (remote.asking === null && waiting.length) ask(waiting[0]);
  };

  // ---------------------------------------------------------------- devices that can drive

  function pairedAt(ms) {
    try { return new Date(ms).toLocaleTimeString(L.lang(), { hour: '2-digit', minute: '2-digit' }); }
    catch (e) { return new Date(ms).toLocaleTimeString(); }
  }

  function renderList(id, st) {
    var box = L.$('#' + id);
    var list = (st.devices && st.devices.devices) || [];
    box.hidden = !list.length;
    var ul = L.$('ul', box);
    var sig = JSON.stringify(list) + L.lang();
    if (ul.getAttribute('data-sig') === sig) return;
    ul.setAttribute('data-sig', sig);
    L.clear(ul);
    list.forEach(function (d) {
      var name = label(d.device);
      var state = t(d.connected ? 'host.remote.connected' : 'host.remote.not_connected');
      ul.appendChild(L.el('li', { 'data-testid': 'device-' + d.device }, [
        L.el('span', { text: name + ' · ' + t('host.remote.paired_at', { time: pairedAt(d.paired_unix_ms) }) + ' · ' + state }),
        L.el('button', { type: 'button', 'class': 'secondary small', 'data-testid': 'revoke-' + d.device,
          'aria-label': t('host.remote.revoke_label', { device: name }), text: t('host.remote.revoke'),
          on: { click: function () {
            if (H.send({ type: 'revoke_device', device: d.device })) {
              H.notice(t('host.remote.revoked', { device: name }));
            }
          } } })
      ]));
    });
  }

  function renderDevices(st) {
    renderList('devices-lobby', st);
    renderList('devices-run', st);
  }

  function setup() {
    L.$('#lobby-remote').addEventListener('click', H.openRemote);
    L.$('#run-remote').addEventListener('click', H.openRemote);
    L.$('#remote-show').addEventListener('click', showRemoteCode);
    L.$('#remote-cancel').addEventListener('click', closeRemote);
    L.$('#remote-hide').addEventListener('click', closeRemote);
    L.$('#pair-accept').addEventListener('click', function () { answer(true); });
    L.$('#pair-refuse').addEventListener('click', function () { answer(false); });
    panel().addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        if (remote.step === 'ask') answer(false);
        else closeRemote();
      }
      H.trapFocus(panel(), ev);
    });
    H.afterLang.push(function () {
      if (panel().hidden) return;
      remoteStep(remote.step);
      if (remote.asking !== null) {
        L.$('#pair-ask-text').textContent = t('host.remote.ask_text', { device: label(remote.asking) });
        L.$('#pair-ask-hint').textContent = t('host.remote.ask_hint', { device: label(remote.asking) });
      }
    });
  }

  H.renderers.push(renderDevices);
  document.addEventListener('DOMContentLoaded', setup);
})(window);
