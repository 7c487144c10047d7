/* Loupe console: the end of a session (class summary, CSV and JSON export, "End and clear") and
 * the past sessions of this browser, whose summaries can be projected again.
 * Before the session is ended the exports are built here from the `summary` message; once it is
 * ended they come from GET /api/reports/{code}[/csv] with the host secret as a bearer token.
 * CSV: UTF-8 with a byte order mark, ";" in French and "," in English (the quiz's language, like
 * the server's export), so accents open correctly in Excel and LibreOffice.
 * ES2017 at most; text is always inserted as text.
 *
 * data-testid: end-meta, end-state, end-hint, summary (charts.js), export-csv, export-json,
 *   end-session, new-session, past-sessions, past-empty, past-<code>, past-resume-<code>,
 *   past-show-<code>, past-forget-<code>
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var H = global.LoupeHost;
  var C = global.LoupeCharts;
  var t = function (k, v) { return L.t(k, v); };

  // ---------------------------------------------------------------- client-side exports

  var CSV_WORDS = {
    fr: { quiz: 'Quiz', session: 'Séance', pupils: 'Élèves', scored: 'Avec un score',
      scoredQuestions: 'Questions notées', counted: 'Questions comptées dans les scores (montrées en entier)',
      mean: "Moyenne (lue sur l'histogramme)", median: "Médiane (lue sur l'histogramme)",
      hidden: 'masqué', hiddenMeans: "caché pour qu'aucun petit groupe ne puisse être déduit",
      score: 'Score', question: 'Question', option: 'Réponse', correct: 'Bonne réponse',
      vote: 'Vote', second: 'Second vote', skipped: '(passée)', yes: 'oui', passed: 'Passe' },
    en: { quiz: 'Quiz', session: 'Session', pupils: 'Pupils', scored: 'With a score',
      scoredQuestions: 'Scored questions', counted: 'Questions counted in the scores (shown in full)',
      mean: 'Mean (read off the histogram)', median: 'Median (read off the histogram)',
      hidden: 'hidden', hiddenMeans: 'hidden so that no small group can be worked out',
      score: 'Score', question: 'Question', option: 'Option', correct: 'Correct',
      vote: 'Vote', second: 'Second vote', skipped: '(skipped)', yes: 'yes', passed: 'Passed' }
  };

  /**
   * One CSV field, as the server writes it: a leading ' when a spreadsheet could read it as a
   * formula (=, +, -, @, tab, carriage return), then quoted when it holds the separator, a quote
   * or a line break.
   */
  function csvField(text, sep) {
    text = String(text === null || text === undefined ? '' : text);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    if (text.indexOf(sep) >= 0 || /["\n\r]/.test(text)) return '"' + text.replace(/"/g, '""') + '"';
    return text;
  }

  function csvNumber(n, sep) {
    if (n === null || n === undefined) return '';
    var s = (Math.round(n * 10) / 10).toFixed(1);
    return sep === ';' ? s.replace('.', ',') : s;
  }

  function csvCount(d, i, hidden) {
    if (!d || !d.counts) return hidden;
    var c = d.counts[i];
    return c === null || c === undefined ? hidden : String(c);
  }

  function csvPassed(d, hidden) {
    return d.passed === null || d.passed === undefined ? hidden : String(d.passed);
  }

  /** The same CSV as the server's report export, built from a summary. */
  H.summaryCsv = function (meta, s) {
    var fr = meta.lang === 'fr';
    var w = CSV_WORDS[fr ? 'fr' : 'en'];
    var sep = fr ? ';' : ',';
    var out = '\ufeff';
    function line(cells) {
      out += cells.map(function (c) { return csvField(c, sep); }).join(sep) + '\r\n';
    }
    line([w.quiz, meta.quiz_title]);
    line([w.session, meta.label || '']);
    line([w.pupils, s.pupils]);
    line([w.scored, s.scored]);
    line([w.scoredQuestions, s.scored_questions || 0]);
    line([w.counted, s.counted_questions || 0]);
    line([w.mean, csvNumber(s.mean, sep)]);
    line([w.median, csvNumber(s.median, sep)]);
    line([w.hidden, w.hiddenMeans]);
    line([]);
    line([w.score, w.pupils]);
    (s.histogram || []).forEach(function (b) {
      line([b.from + '-' + b.to, b.pupils]);
    });
    line([]);
    line([w.question, w.option, w.correct, w.vote, w.second]);
    (s.questions || []).forEach(function (q) {
      if (q.skipped) { line([q.text, w.skipped]); return; }
      q.options.forEach(function (o, i) {
        line([q.text, o, q.correct.indexOf(i) >= 0 ? w.yes : '', csvCount(q.results, i, w.hidden),
          q.second_vote ? csvCount(q.second_vote, i, w.hidden) : '']);
      });
      line([q.text, w.passed, '', csvPassed(q.results, w.hidden),
        q.second_vote ? csvPassed(q.second_vote, w.hidden) : '']);
    });
    return out;
  };

  /** The JSON export: the same shape as GET /api/reports/{code}. */
  function clientReport(st) {
    var rec = st.session;
    return {
      code: rec.code, quiz_id: rec.quiz, quiz_title: (st.info && st.info.title) || rec.title,
      lang: (st.info && st.info.lang) || L.lang(), label: rec.label || null,
      created_unix_ms: rec.created, finished_unix_ms: Date.now(), summary: st.summary
    };
  }

  function fileName(code, ext) { return 'loupe-' + code + '.' + ext; }

  function serverGet(rec, suffix) {
    return fetch('/api/reports/' + rec.code + suffix, {
      headers: { 'Authorization': 'Bearer ' + rec.host_secret, 'Accept': suffix ? 'text/csv' : 'application/json' }
    }).then(function (r) {
      if (!r.ok) throw { status: r.status };
      return r.text();
    });
  }

  function exportFile(kind) {
    var st = H.st;
    var past = st.past;
    var rec = past ? past.rec : st.session;
    if (!rec) return;
    var ext = kind === 'csv' ? 'csv' : 'json';
    var type = kind === 'csv' ? 'text/csv;charset=utf-8' : 'application/json';
    function local() {
      var report = past ? past.report : clientReport(st);
      var text = kind === 'csv' ? H.summaryCsv(report, report.summary) : JSON.stringify(report, null, 2);
      H.download(fileName(rec.code, ext), text, type);
    }
    if (past || !st.ended) { local(); return; }
    serverGet(rec, kind === 'csv' ? '/csv' : '').then(function (text) {
      H.download(fileName(rec.code, ext), text, type);
    }).catch(function () {
      if (st.summary) local();
      else H.notice(t('host.end.export_failed'), 'error');
    });
  }

  // ---------------------------------------------------------------- end view

  function renderEnd(st) {
    if (st.view !== 'end') return;
    var past = st.past;
    var rec = past ? past.rec : st.session;
    var summary = past ? past.report.summary : st.summary;
    var meta = [];
    if (rec) {
      meta.push((past ? past.report.quiz_title : (st.info && st.info.title)) || rec.title);
      if (rec.label) meta.push(rec.label);
      meta.push(H.date(past ? past.report.finished_unix_ms : rec.created));
      meta.push(t('host.end.code', { code: rec.code }));
    }
    L.$('#end-meta').textContent = meta.join(' · ');
    var state = L.$('#end-state');
    var hint = L.$('#end-hint');
    if (past) {
      state.textContent = t('host.end.past_state', { date: H.date(past.report.expires_unix_ms) });
      hint.textContent = '';
    } else if (st.ended) {
      state.textContent = t('host.end.ended_state');
      hint.textContent = t('host.end.ended_hint');
    } else {
      state.textContent = t('host.end.finished_state');
      hint.textContent = t('host.end.finished_hint');
    }
    L.$('#end-session').hidden = !!past || st.ended;
    L.$('#end-session').disabled = st.connState !== 'open';
    L.$('#export-csv').disabled = !summary;
    L.$('#export-json').disabled = !summary;
    var box = L.$('#end-summary');
    var sig = JSON.stringify([summary, L.lang()]);
    if (box.getAttribute('data-sig') !== sig) {
      L.clear(box);
      box.setAttribute('data-sig', sig);
      if (summary) box.appendChild(C.summary(summary));
      var ql = past ? past.report.lang : (st.info && st.info.lang);
      if (ql) box.setAttribute('lang', ql);
      else box.appendChild(L.el('p', { 'class': 'hint', text: t('host.end.no_summary') }));
    }
  }

  // ---------------------------------------------------------------- past sessions

  function showPast(rec) {
    L.api('GET', '/api/reports/' + rec.code, undefined, { 'Authorization': 'Bearer ' + rec.host_secret })
      .then(function (report) {
        // The server says when the report goes: this browser forgets the session then.
        if (typeof report.expires_unix_ms === 'number' && H.record(rec.code)) {
          rec.expires = report.expires_unix_ms;
          H.save(rec);
        }
        H.leave();
        H.st.past = { rec: rec, report: report };
        H.show('end');
      })
      .catch(function (e) {
        var key = 'host.past.unavailable';
        if (e && e.status === 503) key = 'host.past.no_store';
        else if (!rec.ended) key = 'host.past.still_running';
        else if (e && e.status === 404) {
          // Expired (or deleted to keep reports under the server's size limit): nothing to
          // reopen, so nothing to keep.
          H.forget(rec.code);
          H.render();
        }
        H.notice(t(key), 'warn');
      });
  }

  function renderPast(st) {
    if (st.view !== 'library') return;
    var list = L.clear(L.$('#past-list'));
    var codes = H.index();
    var any = false;
    codes.forEach(function (code) {
      var rec = H.record(code);
      if (!rec) return;
      any = true;
      var title = rec.title + (rec.label ? ' · ' + rec.label : '');
      var titleId = 'past-title-' + code;
      list.appendChild(L.el('li', { 'class': 'past-item', 'data-testid': 'past-' + code }, [
        L.el('span', { 'class': 'past-text' }, [
          L.el('strong', { id: titleId, text: title }),
          L.el('span', { 'class': 'meta', text: ' ' + H.date(rec.created) + ' · ' + t('host.end.code', { code: code }) +
            ' · ' + t(rec.ended ? (rec.end_reason === 'max_life' ? 'host.past.ended_auto' : 'host.past.ended') : 'host.past.running') +
            ' · ' + t('host.past.kept_until', { date: H.date(H.expiry(rec)) }) })
        ]),
        L.el('span', { 'class': 'past-actions' }, [
          rec.ended ? null : L.el('button', { type: 'button', 'class': 'secondary small', 'data-testid': 'past-resume-' + code,
            'aria-describedby': titleId, text: t('host.past.resume'), on: { click: function () { H.connect(rec); } } }),
          L.el('button', { type: 'button', 'class': 'secondary small', 'data-testid': 'past-show-' + code,
            'aria-describedby': titleId, text: t('host.past.show'), on: { click: function () { showPast(rec); } } }),
          L.el('button', { type: 'button', 'class': 'secondary small', 'data-testid': 'past-forget-' + code,
            'aria-describedby': titleId, text: t('host.past.forget'), on: { click: function () {
              H.confirm(t('host.past.forget_confirm', { title: title }), t('host.past.forget')).then(function (ok) {
                if (ok) { H.forget(code); H.render(); }
              });
            } } })
        ])
      ]));
    });
    L.$('#past-empty').hidden = any;
  }

  function setup() {
    L.$('#export-csv').addEventListener('click', function () { exportFile('csv'); });
    L.$('#export-json').addEventListener('click', function () { exportFile('json'); });
    L.$('#end-session').addEventListener('click', function () {
      H.confirm(t('host.confirm.end'), t('host.end.end')).then(function (ok) {
        if (ok) H.send({ type: 'end' });
      });
    });
    L.$('#end-back').addEventListener('click', function () {
      H.leave();
      H.show('library');
      if (H.loadLibrary) H.loadLibrary();
    });
  }

  H.renderers.push(renderEnd, renderPast);
  document.addEventListener('DOMContentLoaded', setup);
})(window);
