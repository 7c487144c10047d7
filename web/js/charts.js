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
 *   no-distribution      "only the number of answers is shown" (every count hidden)
 *   passed-count         answers, passes (when shown) and the percentages' base
 *   masked-legend        what a hidden count means, under a chart that has one
 *   histogram            the score histogram (SVG);  no-histogram  when there is none
 *   summary-stats        pupils / mean / median;  scores-basis  questions the class scores count
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

  /**
   * The text of one cell: "12 (40 %)" when `base` is public, "12" when it is not, "hidden" for
   * a hidden count (which never means "few": see docs/PROTOCOL.md § privacy).
   */
  function countText(count, base) {
    if (count === null || count === undefined) return t('chart.masked');
    if (base === null) return String(count);
    var p = pct(count, base);
    return t('chart.count', { n: count, pct: p === null ? 0 : p });
  }

  /** One bar track with its fill (width over `scale`, a number the page may show). */
  function track(count, scale, cls) {
    var hidden = count === null || count === undefined;
    var fill = L.el('span', { 'class': 'bar-fill ' + cls });
    var p = hidden ? null : pct(count, scale);
    fill.style.width = (p === null ? 0 : Math.max(p, count > 0 ? 1 : 0)) + '%';
    return L.el('span', { 'class': 'bar-track' + (hidden ? ' masked' : ''), 'aria-hidden': 'true' }, [fill]);
  }

  /** Whether a published round hides anything. */
  function hidesSome(dist) {
    if (!dist) return false;
    if (dist.passed === null || dist.passed === undefined || !dist.counts) return true;
    return dist.counts.some(function (c) { return c === null || c === undefined; });
  }

  /**
   * Result bars. `d` = { options: [text], results: Distribution, second: Distribution|null,
   * correct: [index]|null }. A Distribution is {answered, passed, counts}: `counts` null when
   * every option count is hidden, a null count hidden, `passed` null when hidden (then no
   * percentage is shown, since its base would not be public).
   */
  function bars(d) {
    var wrap = L.el('div', { 'class': 'chart', 'data-testid': 'bars' });
    var first = d.results || { answered: 0, passed: null, counts: null };
    var second = d.second || null;
    var correct = d.correct || [];
    var hidden = !first.counts && (!second || !second.counts);
    var votes = [first];
    if (second) votes.push(second);
    var bases = votes.map(function (v) {
      return v.passed === null || v.passed === undefined ? null : v.answered - v.passed;
    });
    if (hidden) {
      wrap.appendChild(L.el('p', { 'class': 'status', 'data-testid': 'no-distribution', text: t('chart.hidden') }));
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
        var numbers = [];
        votes.forEach(function (dist, n) {
          var prefix = second ? t(n ? 'chart.vote2' : 'chart.vote1') + ' ' : '';
          var c = dist.counts ? dist.counts[i] : null;
          var label = prefix + (dist.counts ? countText(c, bases[n]) : t('chart.hidden_short'));
          numbers.push(label);
          var scale = bases[n] === null ? dist.answered : bases[n];
          row.appendChild(L.el('span', { 'class': 'bar-line' }, [
            track(c, scale, 'vote-' + (n + 1) + ' opt-' + (i % 8)),
            L.el('span', { 'class': 'bar-num' + (c === null || c === undefined ? ' masked' : ''), text: label })
          ]));
        });
        row.appendChild(L.el('span', { 'class': 'visually-hidden', 'data-testid': 'bar-count-' + i, text: numbers.join(' · ') }));
      }
      list.appendChild(row);
    });
    wrap.appendChild(list);
    var foot = [t('chart.answered', { n: first.answered })];
    if (bases[0] !== null) foot.push(t('chart.passed', { n: first.passed }));
    if (second) {
      foot.push(bases[1] === null ? t('chart.second_answered_only', { n: second.answered })
        : t('chart.second_answered', { n: second.answered, passed: second.passed }));
    }
    if (!hidden && bases.some(function (b, n) { return b !== null && votes[n].counts; })) foot.push(t('chart.base'));
    wrap.appendChild(L.el('p', { 'class': 'chart-foot', 'data-testid': 'passed-count', text: foot.join(' · ') }));
    if (!hidden && votes.some(hidesSome)) {
      wrap.appendChild(L.el('p', { 'class': 'chart-foot masked-legend', 'data-testid': 'masked-legend', text: t('chart.masked_legend') }));
    }
    return wrap;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  /** "20–39" for a score range. */
  function rangeLabel(bin) { return bin.from + '–' + bin.to; }

  /**
   * The score histogram: ranges covering 0–100 (ten points wide, wider where small decades were
   * merged), drawn on a 0–100 axis so a merged range is a wider bar, as an SVG with the same
   * numbers in its title.
   */
  function histogram(bins) {
    var max = Math.max.apply(null, bins.map(function (b) { return b.pupils; }).concat([1]));
    var w = 520, h = 240, left = 10, bottom = 40, top = 26, slot = (w - left * 2) / 10;
    var titleId = 'hist-' + Math.random().toString(36).slice(2, 8);
    var root = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, 'class': 'histogram', role: 'img',
      'aria-labelledby': titleId, 'data-testid': 'histogram', focusable: 'false' });
    var described = bins.map(function (b) { return rangeLabel(b) + ': ' + b.pupils; }).join(', ');
    root.appendChild(svg('title', { id: titleId }, t('chart.histogram_title') + ' — ' + described));
    root.appendChild(svg('line', { x1: left, y1: h - bottom, x2: w - left, y2: h - bottom, 'class': 'axis' }));
    bins.forEach(function (b) {
      var slots = Math.min(9, Math.floor(b.to / 10)) - Math.floor(b.from / 10) + 1;
      var bh = ((h - bottom - top) * b.pupils) / max;
      var x = left + Math.floor(b.from / 10) * slot + 4;
      var bw = slots * slot - 8;
      root.appendChild(svg('rect', { x: x, y: h - bottom - bh, width: bw, height: bh, 'class': 'hist-bar' }));
      root.appendChild(svg('text', { x: x + bw / 2, y: h - bottom - bh - 6, 'class': 'hist-count',
        'text-anchor': 'middle' }, b.pupils));
      root.appendChild(svg('text', { x: x + bw / 2, y: h - bottom + 18, 'class': 'hist-label',
        'text-anchor': 'middle' }, rangeLabel(b)));
    });
    root.appendChild(svg('text', { x: w / 2, y: h - 4, 'class': 'hist-axis-title', 'text-anchor': 'middle' },
      t('chart.histogram_axis')));
    return root;
  }

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

  /** On which questions the class scores are computed. */
  function basis(s) {
    var n = s.counted_questions || 0, total = s.scored_questions || 0;
    return n === total ? t('chart.scores_basis_all', { n: n }) : t('chart.scores_basis', { n: n, total: total });
  }

  /**
   * The class summary: numbers, histogram, podium, per-question charts with both votes.
   * `s` is the protocol's Summary. Class scores count only the questions shown in full; the
   * summary says how many.
   */
  function summary(s) {
    var wrap = L.el('div', { 'class': 'summary', 'data-testid': 'summary' });
    var stats = L.el('dl', { 'class': 'stats', 'data-testid': 'summary-stats' });
    var none = function (x) { return x === null || x === undefined; };
    [['chart.pupils', s.pupils], ['chart.scored', s.scored],
      ['chart.mean', none(s.mean) ? t('chart.too_few') : t('chart.about', { n: num(s.mean) })],
      ['chart.median', none(s.median) ? t('chart.too_few') : t('chart.about', { n: num(s.median) })]
    ].forEach(function (p) {
      stats.appendChild(L.el('div', {}, [L.el('dt', { text: t(p[0]) }), L.el('dd', { text: String(p[1]) })]));
    });
    var bins = s.histogram || [];
    var fig = L.el('figure', { 'class': 'hist-figure' }, [
      L.el('figcaption', { text: t('chart.histogram_title') }),
      bins.length ? histogram(bins)
        : L.el('p', { 'class': 'status', 'data-testid': 'no-histogram', text: t('chart.no_histogram') }),
      L.el('p', { 'class': 'chart-foot', 'data-testid': 'scores-basis', text: basis(s) })
    ]);
    wrap.appendChild(stats);
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
          correct: q.correct }));
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
