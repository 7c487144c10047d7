/* Loupe core for every page: DOM helpers, i18n, storage, and the WebSocket session client.
 * ES2017 at most (old Android browsers, in-app browsers): no optional chaining, no `??`,
 * no object spread, no class fields. Text from quizzes or the server is always inserted as text
 * (textContent), never as HTML.
 */
(function (global) {
  'use strict';

  var PROTOCOL_VERSION = 1;

  // ---------------------------------------------------------------- DOM helpers

  /** First element matching `sel` under `root` (document by default). */
  function $(sel, root) {
    return (root || document).querySelector(sel);
  }

  /** All elements matching `sel` under `root`, as an array. */
  function $$(sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }

  /**
   * Creates an element. `attrs` keys are attributes, except `text` (textContent) and `on`
   * (an object of event listeners). `children` are nodes or strings (inserted as text).
   */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    var key;
    attrs = attrs || {};
    for (key in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key)) continue;
      var value = attrs[key];
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'on') {
        for (var ev in value) node.addEventListener(ev, value[ev]);
      } else node.setAttribute(key, value === true ? '' : String(value));
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  /** Removes every child of `node`. */
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /** Shows the element with id `id` among the siblings marked `data-view`, hiding the others. */
  function showView(id) {
    $$('[data-view]').forEach(function (v) {
      v.hidden = v.id !== id;
    });
  }

  // ---------------------------------------------------------------- storage

  /** localStorage that never throws (private mode, disabled storage). */
  var store = {
    get: function (key) {
      try { return global.localStorage.getItem('loupe.' + key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { global.localStorage.setItem('loupe.' + key, value); } catch (e) { /* ignore */ }
    },
    remove: function (key) {
      try { global.localStorage.removeItem('loupe.' + key); } catch (e) { /* ignore */ }
    },
    /** Wipes everything Loupe stored except the listed preference keys (e.g. 'lang'). */
    wipe: function (keep) {
      keep = keep || [];
      try {
        var doomed = [];
        for (var i = 0; i < global.localStorage.length; i++) {
          var k = global.localStorage.key(i);
          if (k && k.indexOf('loupe.') === 0 && keep.indexOf(k.slice(6)) < 0) doomed.push(k);
        }
        doomed.forEach(function (k) { global.localStorage.removeItem(k); });
        global.sessionStorage.clear();
      } catch (e) { /* ignore */ }
    }
  };

  // ---------------------------------------------------------------- i18n

  var dict = {};
  var lang = 'en';

  /** The language to use: the saved choice, else the browser's (French if it starts with fr). */
  function pickLang() {
    var saved = store.get('lang');
    if (saved === 'fr' || saved === 'en') return saved;
    var nav = (global.navigator && (global.navigator.language || '')) || '';
    return nav.toLowerCase().indexOf('fr') === 0 ? 'fr' : 'en';
  }

  /**
   * Loads the dictionaries `names` (e.g. ['common', 'pupil']) for `l` from /assets/i18n/,
   * merges them, and applies them to the page.
   */
  function loadLang(l, names) {
    lang = l === 'fr' ? 'fr' : 'en';
    var v = document.documentElement.getAttribute('data-v') || '';
    return Promise.all(names.map(function (name) {
      return fetch('/assets/i18n/' + name + '.' + lang + '.json?v=' + v).then(function (r) {
        if (!r.ok) throw new Error('dictionary ' + name + ' ' + r.status);
        return r.json();
      });
    })).then(function (parts) {
      dict = {};
      parts.forEach(function (p) { for (var k in p) dict[k] = p[k]; });
      document.documentElement.setAttribute('lang', lang);
      applyI18n(document);
      return lang;
    });
  }

  /** Translates `key`, replacing `{name}` with `vars.name`. A missing key shows as ⟦key⟧. */
  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : null;
    if (s === null) {
      if (global.console) global.console.warn('missing i18n key', key);
      return '\u27e6' + key + '\u27e7';
    }
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
      });
    }
    return s;
  }

  /**
   * Fills `[data-i18n]` elements' text, and `[data-i18n-attr="attr:key;attr2:key2"]` attributes.
   */
  function applyI18n(root) {
    $$('[data-i18n]', root).forEach(function (node) {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    $$('[data-i18n-attr]', root).forEach(function (node) {
      node.getAttribute('data-i18n-attr').split(';').forEach(function (pair) {
        var parts = pair.split(':');
        if (parts.length === 2) node.setAttribute(parts[0].trim(), t(parts[1].trim()));
      });
    });
  }

  // ---------------------------------------------------------------- reconnect backoff

  /**
   * Delay before reconnect attempt `n` (0-based): exponential backoff with full jitter; the first
   * try comes within 0.25–1 s, later ones within 0.25 s and a cap doubling up to 10 s.
   */
  function backoff(n) {
    var cap = Math.min(10000, 1000 * Math.pow(2, n));
    return 250 + Math.random() * (cap - 250);
  }

  // ---------------------------------------------------------------- session connection

  /**
   * A WebSocket session that says hello, resumes after any drop, and reports its state.
   *
   * opts: {
   *   role: 'host' | 'player' | 'screen',
   *   code: '123456',
   *   secret: function () { return the secret/token to send, or null },
   *   ticket: optional function () { return the join ticket of the QR code's link, or null }
   *           (sent only without a secret: a pupil's first join),
   *   onWelcome(msg), onMessage(msg) for every server message (envelope fields flattened),
   *   onState(state, detail): 'connecting' | 'open' | 'reconnecting' | 'blocked'
   *                           | 'closed' (final; detail = {code, reason, error})
   *                           ('reconnecting' has detail = {code} of the drop)
   * }
   * The client pings every 20 s and reconnects if no pong comes within 10 s (a dead Wi-Fi link
   * does not always close the socket).
   */
  function Session(opts) {
    this.opts = opts;
    this.ws = null;
    this.attempt = 0;
    this.everOpen = false;
    this.stopped = false;
    this.lastError = null;
    this.timer = null;
    this.pingTimer = null;
    this.pongDue = null;
    this.nonce = 0;
  }

  Session.prototype.url = function () {
    return (global.location.protocol === 'https:' ? 'wss://' : 'ws://') + global.location.host + '/ws';
  };

  Session.prototype.connect = function () {
    var self = this;
    if (self.stopped) return;
    self.opts.onState(self.everOpen ? 'reconnecting' : 'connecting');
    var ws;
    try {
      ws = new global.WebSocket(self.url());
    } catch (e) {
      self.opts.onState('blocked');
      return;
    }
    self.ws = ws;
    var opened = false;
    ws.onopen = function () {
      opened = true;
      var hello = { type: 'hello', version: PROTOCOL_VERSION, role: self.opts.role, code: self.opts.code };
      var secret = self.opts.secret();
      var ticket = !secret && self.opts.ticket ? self.opts.ticket() : null;
      if (secret) hello.secret = secret;
      if (ticket) hello.ticket = ticket;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === 'welcome') {
        self.attempt = 0;
        self.everOpen = true;
        self.opts.onState('open');
        self.startPing();
        if (self.opts.onWelcome) self.opts.onWelcome(msg);
      } else if (msg.type === 'pong') {
        self.pongDue = null;
        return;
      } else if (msg.type === 'error') {
        self.lastError = msg;
      }
      self.opts.onMessage(msg);
    };
    ws.onclose = function (ev) {
      self.stopPing();
      if (self.ws !== ws) return;
      self.ws = null;
      var code = ev.code;
      // Final closes: the session ended, another tab took over, removed, refused, wrong version.
      if ([4000, 4001, 4002, 4003, 4004, 4005].indexOf(code) >= 0 || self.stopped) {
        self.stopped = true;
        self.opts.onState('closed', { code: code, reason: ev.reason, error: self.lastError });
        return;
      }
      if (!opened && !self.everOpen && self.attempt >= 2) {
        // Never got through: the network probably blocks WebSockets. Keep trying, but say so.
        self.opts.onState('blocked');
      } else {
        self.opts.onState('reconnecting', { code: code });
      }
      var delay = backoff(self.attempt);
      self.attempt += 1;
      self.timer = global.setTimeout(function () { self.connect(); }, delay);
    };
  };

  Session.prototype.startPing = function () {
    var self = this;
    self.stopPing();
    self.pingTimer = global.setInterval(function () {
      if (!self.ws || self.ws.readyState !== 1) return;
      if (self.pongDue && Date.now() > self.pongDue) {
        // No pong: the link is dead even if the socket looks open.
        try { self.ws.close(); } catch (e) { /* ignore */ }
        return;
      }
      self.nonce += 1;
      self.send({ type: 'ping', nonce: self.nonce });
      if (!self.pongDue) self.pongDue = Date.now() + 10000;
    }, 20000);
  };

  Session.prototype.stopPing = function () {
    if (this.pingTimer) global.clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pongDue = null;
  };

  /** Sends a message if connected; returns whether it was sent. */
  Session.prototype.send = function (msg) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  };

  /** Closes for good (no reconnect). */
  Session.prototype.stop = function () {
    this.stopped = true;
    if (this.timer) global.clearTimeout(this.timer);
    this.stopPing();
    var ws = this.ws;
    // Forget the socket first: its close event then reports nothing (the caller chose to stop).
    this.ws = null;
    if (ws) {
      try { ws.close(1000); } catch (e) { /* ignore */ }
    }
  };

  // ---------------------------------------------------------------- HTTP

  /** fetch + JSON with a clear error: rejects with {status, error, message}. */
  function api(method, path, body, headers) {
    var init = { method: method, headers: { 'Accept': 'application/json' } };
    var h;
    for (h in (headers || {})) init.headers[h] = headers[h];
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!r.ok) {
          throw { status: r.status, error: data && data.error, message: (data && data.message) || r.statusText };
        }
        return data;
      });
    });
  }

  /** The join QR code of `code`; with the session's join ticket (from a host's or screen's
   *  welcome) its link lets a phone that scanned it past the failed-join limits. */
  function qrSrc(code, ticket) {
    return '/api/sessions/' + code + '/qr.svg' + (ticket ? '?ticket=' + encodeURIComponent(ticket) : '');
  }

  global.Loupe = {
    PROTOCOL_VERSION: PROTOCOL_VERSION,
    $: $, $$: $$, el: el, clear: clear, showView: showView,
    store: store,
    pickLang: pickLang, loadLang: loadLang, t: t, applyI18n: applyI18n,
    lang: function () { return lang; },
    backoff: backoff,
    Session: Session,
    api: api,
    qrSrc: qrSrc
  };
})(window);
