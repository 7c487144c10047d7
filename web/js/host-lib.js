/* Loupe console: the quiz library, the preview with question selection and the session options,
 * and "Start" (POST /api/sessions, with the host key when the server asks for one).
 * ES2017 at most; text from quizzes is always inserted as text.
 *
 * data-testid: quiz-list, quiz-<id>, quiz-open-<id>, library-error, library-key-form,
 *   library-key-why, library-host-key, library-key-go,
 *   prepare-back, prepare-title, prepare-meta, content-warning, question-list, q-check-<id>,
 *   select-all, select-core, select-none, duration, duration-how,
 *   opt-label, label-reminder, opt-mode-reflection, opt-mode-challenge, opt-timers, opt-close-all,
 *   opt-hide-score, opt-min-count, opt-contact, opt-retention, host-key, prepare-error, create-session
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var H = global.LoupeHost;
  var t = function (k, v) { return L.t(k, v); };

  var lib = { quizzes: null, error: null, preview: null, selected: {}, hostKey: null, timersTouched: false, built: null,
    keyFor: null };

  // ---------------------------------------------------------------- library

  H.loadLibrary = function () {
    L.api('GET', '/api/quizzes').then(function (list) {
      lib.quizzes = list || [];
      lib.error = null;
      H.render();
    }).catch(function (e) {
      lib.error = e && e.error ? e.error : 'network';
      H.render();
    });
  };

  function langName(l) { return t(l === 'fr' ? 'host.lang.fr' : 'host.lang.en'); }

  function renderLibrary(st) {
    if (st.view !== 'library') return;
    var list = L.clear(L.$('#quiz-list'));
    if (lib.error) {
      list.appendChild(L.el('li', { 'class': 'status error', 'data-testid': 'library-error',
        text: t('host.library.error') }));
      return;
    }
    if (!lib.quizzes) {
      list.appendChild(L.el('li', { 'class': 'hint', text: t('host.library.loading') }));
      return;
    }
    // Quizzes in the page's language first.
    var sorted = lib.quizzes.slice().sort(function (a, b) {
      return (a.lang === L.lang() ? 0 : 1) - (b.lang === L.lang() ? 0 : 1);
    });
    sorted.forEach(function (q) {
      var titleId = 'quiz-title-' + q.id;
      var meta = [
        t('host.library.questions', { n: q.questions }),
        t('host.library.minutes', { n: q.minutes }),
        t('host.library.core', { n: q.core_questions })
      ];
      list.appendChild(L.el('li', { 'class': 'card', 'data-testid': 'quiz-' + q.id }, [
        L.el('h2', { id: titleId }, [L.el('span', { lang: q.lang, text: q.title }), ' ',
          L.el('span', { 'class': 'tag', text: langName(q.lang) })]),
        L.el('p', { 'class': 'meta', lang: q.lang, text: q.audience }),
        L.el('p', { 'class': 'meta', text: meta.join(' · ') }),
        q.min_age ? L.el('p', { 'class': 'meta', text: t('host.library.min_age', { n: q.min_age }) }) : null,
        q.content_warning ? L.el('p', { 'class': 'status warn' }, [t('host.library.warning') + ' ',
          L.el('span', { lang: q.lang, text: q.content_warning })]) : null,
        L.el('button', { type: 'button', 'data-testid': 'quiz-open-' + q.id, 'aria-describedby': titleId,
          text: t('host.library.open'), on: { click: function () { openPrepare(q.id); } } })
      ]));
    });
  }

  // ---------------------------------------------------------------- preparation

  /** The header that carries the host key, once the teacher typed it. */
  function keyHeaders() { return lib.hostKey ? { 'X-Loupe-Host-Key': lib.hostKey } : {}; }

  /** A server with a host key shows a quiz's answers only with it: ask for it, then open `id`. */
  function askKey(id, wrong) {
    lib.keyFor = id;
    var form = L.$('#lib-key-form');
    L.$('#lib-key-why').textContent = t(wrong ? 'host.key.wrong' : 'host.key.needed_preview');
    form.hidden = false;
    L.$('#lib-host-key').focus();
  }

  function openPrepare(id) {
    L.api('GET', '/api/quizzes/' + encodeURIComponent(id), undefined, keyHeaders()).then(function (p) {
      L.$('#lib-key-form').hidden = true;
      lib.keyFor = null;
      lib.preview = p;
      lib.selected = {};
      p.questions.forEach(function (q) { lib.selected[q.id] = true; });
      lib.built = null;
      resetForm();
      H.show('prepare');
      L.$('#prep-title').setAttribute('tabindex', '-1');
      L.$('#prep-title').focus();
    }).catch(function (e) {
      if (e && e.status === 401) {
        var wrong = !!lib.hostKey;
        lib.hostKey = null;
        askKey(id, wrong);
        return;
      }
      H.notice(t('host.library.error'), 'error');
    });
  }

  function resetForm() {
    L.$('#prep-form').reset();
    lib.timersTouched = false;
    L.$('#opt-timers').checked = false;
    L.$('#prep-error').hidden = true;
  }

  function selectedIds() {
    return lib.preview.questions.filter(function (q) { return lib.selected[q.id]; })
      .map(function (q) { return q.id; });
  }

  function tags(q) {
    var out = [];
    if (q.core) out.push(t('host.q.core'));
    out.push(t('host.q.kind_' + q.kind));
    out.push(t('host.q.scoring_' + q.scoring));
    if (q.sensitive) out.push(t('host.q.sensitive'));
    if (q.min_age) out.push(t('host.q.min_age', { n: q.min_age }));
    if (q.time_limit) out.push(t('host.q.time_limit', { n: q.time_limit }));
    return out;
  }

  function keyDetails(q) {
    var opts = L.el('ol', { 'class': 'key-list' });
    q.options.forEach(function (o, i) {
      var mark = o.correct ? ' — ' + t('host.q.correct') : (o.points !== null && o.points !== undefined ?
        ' — ' + t('host.q.points', { n: o.points }) : '');
      opts.appendChild(L.el('li', {}, [global.LoupeCharts.letter(i) + '. ', L.el('span', { lang: lib.preview.lang, text: o.text }), mark]));
    });
    var notes = q.notes || {};
    var extra = [['host.notes.explanation', q.explanation], ['host.notes.prompt', notes.prompt],
      ['host.notes.key_fact', notes.key_fact], ['host.notes.tip', notes.tip], ['host.notes.source', notes.source]]
      .filter(function (p) { return p[1]; })
      .map(function (p) {
        return L.el('p', {}, [L.el('strong', { text: t(p[0]) + ' ' }), L.el('span', { lang: lib.preview.lang, text: p[1] })]);
      });
    return L.el('details', { 'class': 'key' }, [L.el('summary', { text: t('host.q.key_summary') }), opts].concat(extra));
  }

  function buildPickList() {
    var p = lib.preview;
    var list = L.clear(L.$('#pick-list'));
    p.questions.forEach(function (q, i) {
      var id = 'pick-' + i;
      var box = L.el('input', { type: 'checkbox', id: id, 'data-testid': 'q-check-' + q.id,
        'aria-describedby': id + '-tags' });
      box.checked = !!lib.selected[q.id];
      box.addEventListener('change', function () {
        lib.selected[q.id] = box.checked;
        renderDuration();
      });
      list.appendChild(L.el('li', { 'class': 'pick' + (q.core ? ' core' : '') }, [
        L.el('span', { 'class': 'pick-line' }, [
          box,
          L.el('label', { 'for': id }, [L.el('span', { 'class': 'q-num', text: (i + 1) + '. ' }), L.el('span', { lang: p.lang, text: q.text })])
        ]),
        L.el('span', { 'class': 'tags', id: id + '-tags', text: tags(q).join(' · ') }),
        keyDetails(q)
      ]));
    });
    lib.built = p.id + ':' + L.lang();
  }

  function renderDuration() {
    var p = lib.preview;
    var n = selectedIds().length;
    var total = p.questions.length;
    var minutes = Math.max(1, Math.round((p.minutes * n) / total));
    L.$('#duration').textContent = n ? t('host.prep.duration', { n: n, total: total, min: minutes })
      : t('host.prep.none_selected');
    L.$('#duration-how').textContent = t('host.prep.duration_how', { minutes: p.minutes, total: total });
    L.$('#duration').title = L.$('#duration-how').textContent;
    L.$('#create').disabled = n === 0;
    L.$$('#pick-list input[type=checkbox]').forEach(function (box, i) {
      box.checked = !!lib.selected[p.questions[i].id];
    });
  }

  function renderPrepare(st) {
    if (st.view !== 'prepare' || !lib.preview) return;
    var p = lib.preview;
    L.$('#prep-title').textContent = p.title;
    ['#prep-title', '#prep-description'].forEach(function (s) { L.$(s).setAttribute('lang', p.lang); });
    var meta = [p.audience, langName(p.lang), t('host.library.questions', { n: p.questions.length }),
      t('host.library.minutes', { n: p.minutes })];
    if (p.min_age) meta.push(t('host.library.min_age', { n: p.min_age }));
    L.$('#prep-meta').textContent = meta.join(' · ');
    var warn = L.$('#prep-warning');
    warn.hidden = !p.content_warning;
    L.clear(warn);
    if (p.content_warning) {
      warn.appendChild(document.createTextNode(t('host.library.warning') + ' '));
      warn.appendChild(L.el('span', { lang: p.lang, text: p.content_warning }));
    }
    L.$('#prep-description').textContent = p.description;
    if (lib.built !== p.id + ':' + L.lang()) buildPickList();
    renderDuration();
  }

  function setSelection(pred) {
    lib.preview.questions.forEach(function (q) { lib.selected[q.id] = pred(q); });
    renderDuration();
  }

  function showError(text) {
    var e = L.$('#prep-error');
    e.textContent = text;
    e.hidden = false;
  }

  function create(ev) {
    ev.preventDefault();
    var p = lib.preview;
    var ids = selectedIds();
    if (!ids.length) { showError(t('host.prep.none_selected')); return; }
    var mode = L.$('#opt-mode-challenge').checked ? 'challenge' : 'reflection';
    var min = parseInt(L.$('#opt-min-count').value, 10);
    if (!(min >= 3 && min <= 100)) {
      showError(t('host.opt.min_count_bad'));
      L.$('#opt-min-count').focus();
      return;
    }
    var label = L.$('#opt-label').value.trim();
    var contact = L.$('#opt-contact').value.trim();
    var body = {
      quiz: p.id,
      mode: mode,
      timers: L.$('#opt-timers').checked,
      close_when_all_answered: L.$('#opt-close-all').checked,
      min_count: min,
      hide_score: L.$('#opt-hide-score').checked,
      retention: L.$('#opt-retention').value
    };
    if (ids.length < p.questions.length) body.questions = ids;
    if (label) body.label = label;
    if (contact) body.local_contact = contact;
    var keyBox = L.$('#host-key');
    if (!L.$('#host-key-box').hidden && keyBox.value) lib.hostKey = keyBox.value;
    var headers = keyHeaders();
    L.$('#create').disabled = true;
    L.$('#prep-error').hidden = true;
    L.api('POST', '/api/sessions', body, headers).then(function (c) {
      var rec = {
        code: c.code, host_secret: c.host_secret, screen_token: c.screen_token, join_url: c.join_url,
        quiz: p.id, title: p.title, label: label || null, created: Date.now(),
        questions: body.questions || null, min_count: min, mode: mode, ended: false,
        retention: body.retention, ends_by: typeof c.ends_by_unix_ms === 'number' ? c.ends_by_unix_ms : null
      };
      H.save(rec);
      H.st.preview = p;
      L.$('#create').disabled = false;
      H.connect(rec);
    }).catch(function (e) {
      L.$('#create').disabled = false;
      if (e && e.status === 401) {
        lib.hostKey = null;
        L.$('#host-key-box').hidden = false;
        showError(t(keyBox.value ? 'host.key.wrong' : 'host.key.needed'));
        keyBox.focus();
        return;
      }
      showError(H.errorText(e && e.error ? e.error : 'network') + (e && e.message ? ' (' + e.message + ')' : ''));
    });
  }

  function setup() {
    L.$('#prep-back').addEventListener('click', function () { H.show('library'); });
    L.$('#lib-key-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var box = L.$('#lib-host-key');
      if (!box.value || !lib.keyFor) { box.focus(); return; }
      lib.hostKey = box.value;
      box.value = '';
      openPrepare(lib.keyFor);
    });
    L.$('#sel-all').addEventListener('click', function () { setSelection(function () { return true; }); });
    L.$('#sel-core').addEventListener('click', function () { setSelection(function (q) { return q.core; }); });
    L.$('#sel-none').addEventListener('click', function () { setSelection(function () { return false; }); });
    L.$('#prep-form').addEventListener('submit', create);
    L.$('#opt-timers').addEventListener('change', function () { lib.timersTouched = true; });
    L.$$('input[name=mode]').forEach(function (r) {
      r.addEventListener('change', function () {
        if (!lib.timersTouched) L.$('#opt-timers').checked = L.$('#opt-mode-challenge').checked;
      });
    });
  }

  H.renderers.push(renderLibrary, renderPrepare);
  document.addEventListener('DOMContentLoaded', setup);
})(window);
