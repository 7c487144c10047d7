/* Loupe charts for the console, the projector and the remote: options with letter, shape and
 * colour; result bars (counts, percentages, hidden counts, both votes, the correct option); the
 * score histogram (inline SVG built with createElementNS); the class summary and the podium.
 * Everything is built with DOM calls and text nodes (never HTML); widths are set through the
 * CSSOM (element.style), which the page's Content-Security-Policy allows.
 * ES2017 at most. Needs core.js (window.Loupe).
 *
 * data-testid set here:
 *   option-<i>           one option of a question (list of options)
 *   bars                 a results chart;  bar-<i> one option's row;  bar-count-<i> its numbers
 *   correct-mark         "correct answer" label on a row
 *   no-distribution      "not enough answers to show the distribution"
 *   passed-count         how many passed
 *   histogram            the score histogram (SVG);  summary-stats  pupils / mean / median
 *   summary-question-<i> one question in the summary;  podium  the top three
 */
(function (global) {
  'use strict';

  var L = global.Loupe;
  var SVG = 'http://www.w3.org/2000/svg';
  var LETTERS = 'ABCDEFGH';

  function t(key, vars) { return L.t(key, vars); }

  /** The letter of option `i` (A, B, …). */
  function letter(i) { return LETTERS.charAt(i) || String(i + 1); }

  /** A number in the page's language (1 decimal at most). */
  function num(n) {
    if (n === null || n === undefined) return '–';
    try {
      return Number(n).toLocaleString(L.lang(), { maximumFractionDigits: 1 });
    } catch (e) {
      return String(Math.round(n * 10) / 10);
    }
  }

  /**
   * A translated count: `key + '_one'` or `key + '_other'` with {n}. French uses the singular
   * for 0 and 1, English for 1 only.
   */
  function tn(key, n, vars) {
    var v = { n: n };
    for (var k in (vars || {})) v[k] = vars[k];
    var one = L.lang() === 'fr' ? n < 2 : n === 1;
    return t(key + (one ? '_one' : '_other'), v);
  }

  /** The colour/letter/shape badge of option `i`. */
  function badge(i) {
    var k = i % 8;
    return L.el('span', { 'class': 'badge opt-' + k, 'aria-hidden': 'true' }, [
      L.el('span', { 'class': 'letter', text: letter(i) }),
      L.el('span', { 'class': 'shape shape-' + k })
    ]);
  }

  /** The options of a question as a list: colour, letter and shape, and the full text. */
  function optionList(texts) {
    var list = L.el('ol', { 'class': 'options-view', 'data-testid': 'options' });
    texts.forEach(function (text, i) {
      list.appendChild(L.el('li', { 'class': 'option-view opt-' + (i % 8), 'data-testid': 'option-' + i }, [
        badge(i),
        L.el('span', { 'class': 'visually-hidden', text: letter(i) + '. ' }),
        L.el('span', { 'class': 'option-text', text: text })
      ]));
    });
    return list;
  }

  /** Percentage of `count` over `base`, rounded, or null. */
  function pct(count, base) {
    if (count === null || count === undefined || !base) return null;
    return Math.round((count * 100) / base);
  }

  /** The text of one vote's numbers: "12 (40 %)" or "fewer than 3". */
  function countText(count, base, minCount) {
    if (count === null || count === undefined) {
      return minCount ? t('chart.fewer', { n: minCount }) : t('chart.fewer_min');
    }
    var p = pct(count, base);
    return t('chart.count', { n: count, pct: p === null ? 0 : p });
  }

  /** One bar track with its fill. */
  function track(count, base, cls) {
    var fill = L.el('span', { 'class': 'bar-fill ' + cls });
    var p = pct(count, base);
    fill.style.width = (p === null ? 0 : Math.max(p, count > 0 ? 1 : 0)) + '%';
    return L.el('span', { 'class': 'bar-track', 'aria-hidden': 'true' }, [fill]);
  }

  /**
   * Result bars. `d` = { options: [text], results: Distribution, second: Distribution|null,
   * correct: [index]|null, minCount: n }. A Distribution is {answered, passed, counts}; counts
   * null means the distribution is hidden (too few answers); a null count is "fewer than N".
   */
  function bars(d) {
    var wrap = L.el('div', { 'class': 'chart', 'data-testid': 'bars' });
    var first = d.results || { answered: 0, passed: 0, counts: null };
    var second = d.second || null;
    var correct = d.correct || [];
    var minCount = d.minCount || 0;
    var hidden = !first.counts && (!second || !second.counts);
    var base1 = first.answered - first.passed;
    var base2 = second ? second.answered - second.passed : 0;
    if (hidden) {
      wrap.appendChild(L.el('p', { 'class': 'status', 'data-testid': 'no-distribution',
        text: minCount ? t('chart.hidden', { n: minCount }) : t('chart.hidden_min') }));
    }
    var list = L.el('ol', { 'class': 'bars' + (second ? ' two-votes' : '') });
    d.options.forEach(function (text, i) {
      var isCorrect = correct.indexOf(i) >= 0;
      var row = L.el('li', { 'class': 'bar-row' + (isCorrect ? ' correct' : ''), 'data-testid': 'bar-' + i }, [
        L.el('span', { 'class': 'bar-head' }, [
          badge(i),
          L.el('span', { 'class': 'visually-hidden', text: letter(i) + '. ' }),
          L.el('span', { 'class': 'bar-text', text: text }),
          isCorrect ? L.el('span', { 'class': 'correct-mark', 'data-testid': 'correct-mark', text: t('chart.correct') }) : null
        ])
      ]);
      if (!hidden) {
        var votes = [[first, base1, 'vote-1']];
        if (second) votes.push([second, base2, 'vote-2']);
        var numbers = [];
        votes.forEach(function (v, n) {
          var dist = v[0];
          if (!dist.counts) {
            numbers.push((second ? t(n ? 'chart.vote2' : 'chart.vote1') + ' ' : '') + t('chart.hidden_short'));
            row.appendChild(L.el('span', { 'class': 'bar-line' }, [track(0, 1, v[2] + ' opt-' + (i % 8))]));
            return;
          }
          var c = dist.counts[i];
          var label = countText(c, v[1], minCount);
          if (second) label = t(n ? 'chart.vote2' : 'chart.vote1') + ' ' + label;
          numbers.push(label);
          row.appendChild(L.el('span', { 'class': 'bar-line' }, [
            track(c, v[1], v[2] + ' opt-' + (i % 8)),
            L.el('span', { 'class': 'bar-num', text: label })
          ]));
        });
        row.appendChild(L.el('span', { 'class': 'visually-hidden', 'data-testid': 'bar-count-' + i, text: numbers.join(' · ') }));
      }
      list.appendChild(row);
    });
    wrap.appendChild(list);
    var passed = [t('chart.answered', { n: first.answered }), t('chart.passed', { n: first.passed })];
    if (second) passed.push(t('chart.second_answered', { n: second.answered, passed: second.passed }));
    if (!hidden) passed.push(t('chart.base'));
    wrap.appendChild(L.el('p', { 'class': 'chart-foot', 'data-testid': 'passed-count', text: passed.join(' · ') }));
    return wrap;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  /** The score histogram: 10 bins (0–9 … 90–100) as an SVG, plus the same numbers as a table. */
  function histogram(bins) {
    var max = Math.max.apply(null, bins.concat([1]));
    var w = 520, h = 240, left = 10, bottom = 40, top = 26, bw = (w - left * 2) / 10;
    var titleId = 'hist-' + Math.random().toString(36).slice(2, 8);
    var root = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, 'class': 'histogram', role: 'img',
      'aria-labelledby': titleId, 'data-testid': 'histogram', focusable: 'false' });
    var described = bins.map(function (n, i) { return rangeLabel(i) + ': ' + n; }).join(', ');
    root.appendChild(svg('title', { id: titleId }, t('chart.histogram_title') + ' — ' + described));
    root.appendChild(svg('line', { x1: left, y1: h - bottom, x2: w - left, y2: h - bottom, 'class': 'axis' }));
    bins.forEach(function (n, i) {
      var bh = ((h - bottom - top) * n) / max;
      var x = left + i * bw + 4;
      root.appendChild(svg('rect', { x: x, y: h - bottom - bh, width: bw - 8, height: bh, 'class': 'hist-bar' }));
      root.appendChild(svg('text', { x: x + (bw - 8) / 2, y: h - bottom - bh - 6, 'class': 'hist-count',
        'text-anchor': 'middle' }, n));
      root.appendChild(svg('text', { x: x + (bw - 8) / 2, y: h - bottom + 18, 'class': 'hist-label',
        'text-anchor': 'middle' }, rangeLabel(i)));
    });
    root.appendChild(svg('text', { x: w / 2, y: h - 4, 'class': 'hist-axis-title', 'text-anchor': 'middle' },
      t('chart.histogram_axis')));
    return root;
  }

  function rangeLabel(i) { return i === 9 ? '90–100' : (i * 10) + '–' + (i * 10 + 9); }

  /** The top three of challenge mode (generated pseudonyms only). */
  function podium(entries) {
    var list = L.el('ol', { 'class': 'podium', 'data-testid': 'podium', 'aria-label': t('chart.podium') });
    (entries || []).slice(0, 3).forEach(function (e) {
      list.appendChild(L.el('li', { 'class': 'podium-' + e.rank }, [
        L.el('span', { 'class': 'podium-rank', text: t('chart.rank', { n: e.rank }) }),
        L.el('span', { 'class': 'podium-name', text: e.name }),
        L.el('span', { 'class': 'podium-points', text: t('chart.points', { n: e.points }) })
      ]));
    });
    return list;
  }

  /**
   * The class summary: numbers, histogram, podium, per-question charts with both votes.
   * `s` is the protocol's Summary; `minCount` the session's minimum count.
   */
  function summary(s, minCount) {
    var wrap = L.el('div', { 'class': 'summary', 'data-testid': 'summary' });
    var stats = L.el('dl', { 'class': 'stats', 'data-testid': 'summary-stats' });
    [['chart.pupils', s.pupils], ['chart.scored', s.scored],
      ['chart.mean', s.mean === null || s.mean === undefined ? t('chart.too_few') : num(s.mean)],
      ['chart.median', s.median === null || s.median === undefined ? t('chart.too_few') : num(s.median)]
    ].forEach(function (p) {
      stats.appendChild(L.el('div', {}, [L.el('dt', { text: t(p[0]) }), L.el('dd', { text: String(p[1]) })]));
    });
    wrap.appendChild(stats);
    var fig = L.el('figure', { 'class': 'hist-figure' }, [
      L.el('figcaption', { text: t('chart.histogram_title') }),
      histogram(s.histogram || [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    ]);
    wrap.appendChild(fig);
    if (s.podium && s.podium.length) {
      wrap.appendChild(L.el('section', { 'class': 'podium-box' }, [
        L.el('h2', { 'class': 'summary-h', text: t('chart.podium') }), podium(s.podium)]));
    }
    var qs = L.el('ol', { 'class': 'summary-questions' });
    (s.questions || []).forEach(function (q, i) {
      var item = L.el('li', { 'data-testid': 'summary-question-' + i }, [
        L.el('h2', { 'class': 'summary-h', text: t('chart.question_n', { n: i + 1 }) + ' ' + q.text })
      ]);
      if (q.skipped) {
        item.appendChild(L.el('p', { 'class': 'status', text: t('chart.skipped') }));
      } else {
        item.appendChild(bars({ options: q.options, results: q.results, second: q.second_vote || null,
          correct: q.correct, minCount: minCount }));
      }
      qs.appendChild(item);
    });
    wrap.appendChild(qs);
    return wrap;
  }

  global.LoupeCharts = {
    letter: letter, num: num, tn: tn, badge: badge, optionList: optionList, bars: bars,
    histogram: histogram, podium: podium, summary: summary, rangeLabel: rangeLabel
  };
})(window);
