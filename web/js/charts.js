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

  /** The width (in %) of a bar for `count` over `scale`: 0 for a hidden count or no scale, at
   *  least 1 for a count above 0 (a bar that is there shows). */
  function barWidth(count, scale) {
    if (count === null || count === undefined) return 0;
    var p = pct(count, scale);
    return p === null ? 0 : Math.max(p, count > 0 ? 1 : 0);
  }

  /** One bar track with its fill (`width` in %, hidden when the count is). */
  function track(width, masked, cls) {
    var fill = L.el('span', { 'class': 'bar-fill ' + cls });
    fill.style.width = width + '%';
    return L.el('span', { 'class': 'bar-track' + (masked ? ' masked' : ''), 'aria-hidden': 'true' }, [fill]);
  }

  /** Whether a published round hides anything. */
  function hidesSome(dist) {
    if (!dist) return false;
    if (dist.passed === null || dist.passed === undefined || !dist.counts) return true;
    return dist.counts.some(function (c) { return c === null || c === undefined; });
  }

  /** The base of a round's percentages: those who chose an option, or null when its number of
   *  passes is hidden (then the base is not public and no percentage is shown). */
  function baseOf(dist) {
    return dist.passed === null || dist.passed === undefined ? null : dist.answered - dist.passed;
  }

  /**
   * What a results chart shows, worked out before it is drawn. `d` = { options: [text],
   * results: Distribution, second: Distribution|null, correct: [index]|null }. A Distribution is
   * {answered, passed, counts}: `counts` null when every option count is hidden, a null count
   * hidden, `passed` null when hidden (then no percentage is shown, since its base would not be
   * public). Returns { hidden (no count at all: only the number of answers), two (two votes),
   * rows: [{ text, correct, cells: [{ label, masked, width, vote }] }] (no cells when hidden),
   * foot (the line under the chart), legend (say what a hidden count means) }.
   */
  function barsModel(d) {
    var first = d.results || { answered: 0, passed: null, counts: null };
    var second = d.second || null;
    var correct = d.correct || [];
    var votes = second ? [first, second] : [first];
    var bases = votes.map(baseOf);
    var hidden = !first.counts && (!second || !second.counts);
    var rows = d.options.map(function (text, i) {
      var cells = hidden ? [] : votes.map(function (dist, n) {
        var prefix = second ? t(n ? 'chart.vote2' : 'chart.vote1') + ' ' : '';
        var c = dist.counts ? dist.counts[i] : null;
        return {
          label: prefix + (dist.counts ? countText(c, bases[n]) : t('chart.hidden_short')),
          masked: c === null || c === undefined,
          width: barWidth(c, bases[n] === null ? dist.answered : bases[n]),
          vote: n + 1
        };
      });
      return { text: text, correct: correct.indexOf(i) >= 0, cells: cells };
    });
    var foot = [t('chart.answered', { n: first.answered })];
    if (bases[0] !== null) foot.push(t('chart.passed', { n: first.passed }));
    if (second) {
      foot.push(bases[1] === null ? t('chart.second_answered_only', { n: second.answered })
        : t('chart.second_answered', { n: second.answered, passed: second.passed }));
    }
    if (!hidden && bases.some(function (b, n) { return b !== null && votes[n].counts; })) foot.push(t('chart.base'));
    return { hidden: hidden, two: !!second, rows: rows, foot: foot.join(' · '), legend: !hidden && votes.some(hidesSome) };
  }

  /** Result bars (see barsModel for `d`). */
  function bars(d) {
    var m = barsModel(d);
    var wrap = L.el('div', { 'class': 'chart', 'data-testid': 'bars' });
    if (m.hidden) {
      wrap.appendChild(L.el('p', { 'class': 'status', 'data-testid': 'no-distribution', text: t('chart.hidden') }));
    }
    var list = L.el('ol', { 'class': 'bars' + (m.two ? ' two-votes' : '') });
    m.rows.forEach(function (r, i) {
      var row = L.el('li', { 'class': 'bar-row' + (r.correct ? ' correct' : ''), 'data-testid': 'bar-' + i }, [
        L.el('span', { 'class': 'bar-head' }, [
          badge(i),
          L.el('span', { 'class': 'visually-hidden', text: letter(i) + '. ' }),
          L.el('span', { 'class': 'bar-text', text: r.text }),
          r.correct ? L.el('span', { 'class': 'correct-mark', 'data-testid': 'correct-mark', text: t('chart.correct') }) : null
        ])
      ]);
      if (!m.hidden) {
        r.cells.forEach(function (c) {
          row.appendChild(L.el('span', { 'class': 'bar-line' }, [
            track(c.width, c.masked, 'vote-' + c.vote + ' opt-' + (i % 8)),
            L.el('span', { 'class': 'bar-num' + (c.masked ? ' masked' : ''), text: c.label })
          ]));
        });
        row.appendChild(L.el('span', { 'class': 'visually-hidden', 'data-testid': 'bar-count-' + i,
          text: r.cells.map(function (c) { return c.label; }).join(' · ') }));
      }
      list.appendChild(row);
    });
    wrap.appendChild(list);
    wrap.appendChild(L.el('p', { 'class': 'chart-foot', 'data-testid': 'passed-count', text: m.foot }));
    if (m.legend) {
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

  /** The histogram's drawing area: a 0–100 axis in ten slots. */
  var HIST = { w: 520, h: 240, left: 10, bottom: 40, top: 26 };

  /**
   * Where each score range goes on the histogram: ranges cover 0–100 (ten points wide, wider
   * where small decades were merged) on a 0–100 axis, so a merged range is a wider bar; heights
   * are scaled to the fullest range. Returns [{ x, y, width, height, pupils, label }].
   */
  function histogramBars(bins) {
    var max = Math.max.apply(null, bins.map(function (b) { return b.pupils; }).concat([1]));
    var slot = (HIST.w - HIST.left * 2) / 10;
    return bins.map(function (b) {
      var slots = Math.min(9, Math.floor(b.to / 10)) - Math.floor(b.from / 10) + 1;
      var height = ((HIST.h - HIST.bottom - HIST.top) * b.pupils) / max;
      return { x: HIST.left + Math.floor(b.from / 10) * slot + 4, y: HIST.h - HIST.bottom - height,
        width: slots * slot - 8, height: height, pupils: b.pupils, label: rangeLabel(b) };
    });
  }

  /** The score histogram (see histogramBars), as an SVG with the same numbers in its title. */
  function histogram(bins) {
    var w = HIST.w, h = HIST.h, left = HIST.left, bottom = HIST.bottom;
    var titleId = 'hist-' + Math.random().toString(36).slice(2, 8);
    var root = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, 'class': 'histogram', role: 'img',
      'aria-labelledby': titleId, 'data-testid': 'histogram', focusable: 'false' });
    var described = bins.map(function (b) { return rangeLabel(b) + ': ' + b.pupils; }).join(', ');
    root.appendChild(svg('title', { id: titleId }, t('chart.histogram_title') + ' — ' + described));
    root.appendChild(svg('line', { x1: left, y1: h - bottom, x2: w - left, y2: h - bottom, 'class': 'axis' }));
    histogramBars(bins).forEach(function (b) {
      root.appendChild(svg('rect', { x: b.x, y: b.y, width: b.width, height: b.height, 'class': 'hist-bar' }));
      root.appendChild(svg('text', { x: b.x + b.width / 2, y: b.y - 6, 'class': 'hist-count',
        'text-anchor': 'middle' }, b.pupils));
      root.appendChild(svg('text', { x: b.x + b.width / 2, y: h - bottom + 18, 'class': 'hist-label',
        'text-anchor': 'middle' }, b.label));
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
    histogram: histogram, podium: podium, summary: summary, rangeLabel: rangeLabel,
    // The rules behind the drawing, for tests/js:
    pct: pct, countText: countText, barWidth: barWidth, hidesSome: hidesSome, barsModel: barsModel,
    histogramBars: histogramBars
  };
})(window);
