// web/js/charts.js: numbers in the page's language, counts, and the rules of the results chart
// (which cells are hidden, percentages and their base, bar widths, the lines under the chart)
// and of the score histogram.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { loadWithLang, dictionary } = require('./web.js');

const SCRIPTS = ['js/core.js', 'js/charts.js'];

/** `text` with its `{name}` placeholders filled from `vars`, as core.js's t() does. */
function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

async function charts(lang) {
  const w = await loadWithLang(SCRIPTS, lang, ['common', 'host']);
  const d = dictionary('host', lang);
  return { C: w.LoupeCharts, d, t: (key, vars) => fill(d[key], vars || {}) };
}

test('letters: A to H, then numbers', async () => {
  const { C } = await charts('en');
  assert.deepEqual([0, 1, 7, 8, 9].map(C.letter), ['A', 'B', 'H', '9', '10']);
});

test('numbers in the page language, one decimal at most', async () => {
  const fr = (await charts('fr')).C;
  const en = (await charts('en')).C;
  assert.equal(fr.num(12.36), '12,4');
  assert.equal(en.num(12.36), '12.4');
  assert.equal(fr.num(1234.5), '1\u202f234,5', 'French groups thousands with a narrow no-break space');
  assert.equal(en.num(1234.5), '1,234.5');
  assert.equal(en.num(3), '3');
  assert.equal(en.num(0), '0');
  assert.equal(en.num(null), '–');
  assert.equal(en.num(undefined), '–');
});

test('counts: French says the singular for 0 and 1, English for 1 only', async () => {
  const fr = await charts('fr');
  const en = await charts('en');
  const key = 'host.lobby.presence';
  assert.equal(fr.C.tn(key, 0), fr.t(key + '_one', { n: 0 }));
  assert.equal(fr.C.tn(key, 1), fr.t(key + '_one', { n: 1 }));
  assert.equal(fr.C.tn(key, 2), fr.t(key + '_other', { n: 2 }));
  assert.equal(en.C.tn(key, 0), en.t(key + '_other', { n: 0 }));
  assert.equal(en.C.tn(key, 1), en.t(key + '_one', { n: 1 }));
  assert.equal(en.C.tn(key, 12), en.t(key + '_other', { n: 12 }));
  assert.equal(en.C.tn('host.remote.countdown', 5, { n: 99 }), en.t('host.remote.countdown_other', { n: 99 }),
    'extra variables come on top');
});

test('percentages, cell texts and bar widths', async () => {
  const { C, t } = await charts('fr');
  assert.equal(C.pct(1, 3), 33);
  assert.equal(C.pct(2, 3), 67);
  assert.equal(C.pct(0, 5), 0);
  assert.equal(C.pct(3, 0), null, 'no base, no percentage');
  assert.equal(C.pct(null, 5), null);
  assert.equal(C.countText(3, 4), t('chart.count', { n: 3, pct: 75 }));
  assert.equal(C.countText(3, null), '3', 'a hidden base: the count alone');
  assert.equal(C.countText(null, 4), t('chart.masked'));
  assert.equal(C.countText(undefined, null), t('chart.masked'));
  assert.equal(C.countText(0, 0), t('chart.count', { n: 0, pct: 0 }));
  assert.equal(C.barWidth(5, 10), 50);
  assert.equal(C.barWidth(1, 1000), 1, 'a bar that is there shows');
  assert.equal(C.barWidth(0, 10), 0);
  assert.equal(C.barWidth(null, 10), 0, 'a hidden count draws nothing');
  assert.equal(C.barWidth(4, 0), 0);
});

test('what hides something: a hidden count, hidden passes, or no counts at all', async () => {
  const { C } = await charts('en');
  assert.equal(C.hidesSome(null), false);
  assert.equal(C.hidesSome({ answered: 9, passed: 1, counts: [4, 4] }), false);
  assert.equal(C.hidesSome({ answered: 9, passed: 1, counts: [8, null] }), true);
  assert.equal(C.hidesSome({ answered: 9, passed: null, counts: [4, 4] }), true);
  assert.equal(C.hidesSome({ answered: 9, passed: 1, counts: null }), true);
});

test('a chart with every count public: percentages of those who chose', async () => {
  const { C, t } = await charts('en');
  const m = C.barsModel({ options: ['Yes', 'No'], results: { answered: 5, passed: 1, counts: [3, 1] }, correct: [0] });
  assert.equal(m.hidden, false);
  assert.equal(m.two, false);
  assert.deepEqual(m.rows, [
    { text: 'Yes', correct: true, cells: [{ label: t('chart.count', { n: 3, pct: 75 }), masked: false, width: 75, vote: 1 }] },
    { text: 'No', correct: false, cells: [{ label: t('chart.count', { n: 1, pct: 25 }), masked: false, width: 25, vote: 1 }] },
  ]);
  assert.equal(m.foot, [t('chart.answered', { n: 5 }), t('chart.passed', { n: 1 }), t('chart.base')].join(' · '));
  assert.equal(m.legend, false);
});

test('a chart with every count hidden shows only the number of answers', async () => {
  const { C, t } = await charts('fr');
  const m = C.barsModel({ options: ['A', 'B', 'C'], results: { answered: 4, passed: null, counts: null } });
  assert.equal(m.hidden, true);
  assert.deepEqual(m.rows.map((r) => r.cells), [[], [], []]);
  assert.equal(m.foot, t('chart.answered', { n: 4 }), 'neither passes nor a base');
  assert.equal(m.legend, false, 'the chart says it as a whole');
  const none = C.barsModel({ options: ['A'], results: null });
  assert.equal(none.hidden, true, 'no results yet');
  assert.equal(none.foot, t('chart.answered', { n: 0 }));
});

test('a hidden cell says "hidden" (never "few"), draws no bar, and the legend explains it', async () => {
  const { C, t } = await charts('fr');
  const m = C.barsModel({ options: ['A', 'B'], results: { answered: 12, passed: 2, counts: [10, null] } });
  assert.deepEqual(m.rows[1].cells, [{ label: t('chart.masked'), masked: true, width: 0, vote: 1 }]);
  assert.equal(m.rows[0].cells[0].label, t('chart.count', { n: 10, pct: 100 }));
  assert.equal(m.legend, true);
  assert.ok(m.foot.endsWith(t('chart.base')));
});

test('hidden passes: counts without percentages, bars over all the answers', async () => {
  const { C, t } = await charts('en');
  const m = C.barsModel({ options: ['A', 'B'], results: { answered: 8, passed: null, counts: [6, 2] } });
  assert.deepEqual(m.rows.map((r) => r.cells[0]), [
    { label: '6', masked: false, width: 75, vote: 1 },
    { label: '2', masked: false, width: 25, vote: 1 },
  ]);
  assert.equal(m.foot, t('chart.answered', { n: 8 }), 'no pass count and no base: neither is public');
  assert.equal(m.legend, true);
});

test('two votes side by side, the second one hidden', async () => {
  const { C, t } = await charts('fr');
  const m = C.barsModel({
    options: ['A', 'B'],
    results: { answered: 10, passed: 0, counts: [7, 3] },
    second: { answered: 6, passed: null, counts: null },
  });
  assert.equal(m.hidden, false, 'the first vote is public');
  assert.equal(m.two, true);
  assert.deepEqual(m.rows[0].cells, [
    { label: t('chart.vote1') + ' ' + t('chart.count', { n: 7, pct: 70 }), masked: false, width: 70, vote: 1 },
    { label: t('chart.vote2') + ' ' + t('chart.hidden_short'), masked: true, width: 0, vote: 2 },
  ]);
  assert.equal(m.foot, [t('chart.answered', { n: 10 }), t('chart.passed', { n: 0 }),
    t('chart.second_answered_only', { n: 6 }), t('chart.base')].join(' · '));
  assert.equal(m.legend, true);
  const both = C.barsModel({
    options: ['A'],
    results: { answered: 4, passed: 1, counts: [3] },
    second: { answered: 5, passed: 2, counts: [3] },
  });
  assert.ok(both.foot.indexOf(t('chart.second_answered', { n: 5, passed: 2 })) > 0);
  assert.equal(both.legend, false);
});

test('the chart draws what its model says', async () => {
  const { C, t } = await charts('en');
  const chart = C.bars({ options: ['Yes', 'No'], results: { answered: 12, passed: 2, counts: [10, null] }, correct: [0] });
  assert.equal(chart.byTestId('bar-count-0').textContent, t('chart.count', { n: 10, pct: 100 }));
  assert.equal(chart.byTestId('bar-count-1').textContent, t('chart.masked'));
  assert.ok(chart.byTestId('bar-0').byTestId('correct-mark'));
  assert.equal(chart.byTestId('bar-1').byTestId('correct-mark'), null);
  assert.ok(chart.byTestId('masked-legend'));
  assert.equal(chart.byTestId('no-distribution'), null);
  const fills = chart.findAll((n) => /\bbar-fill\b/.test(n.className)).map((n) => n.style.width);
  assert.deepEqual(fills, ['100%', '0%']);
  const tracks = chart.findAll((n) => /\bbar-track\b/.test(n.className)).map((n) => n.className);
  assert.deepEqual(tracks, ['bar-track', 'bar-track masked']);
  const hidden = C.bars({ options: ['Yes'], results: { answered: 2, passed: null, counts: null } });
  assert.equal(hidden.byTestId('no-distribution').textContent, t('chart.hidden'));
  assert.equal(hidden.byTestId('bar-count-0'), null, 'no numbers at all');
});

test('histogram: ranges on a 0–100 axis, merged ranges wider, heights to the fullest', async () => {
  const { C } = await charts('en');
  const bars = C.histogramBars([
    { from: 0, to: 39, pupils: 3 },
    { from: 40, to: 49, pupils: 6 },
    { from: 50, to: 89, pupils: 0 },
    { from: 90, to: 100, pupils: 2 },
  ]);
  // 500 px in ten slots of 50, 4 px margin on each side of a bar; 174 px for the fullest range.
  assert.deepEqual(bars.map((b) => [b.x, b.width, b.label]),
    [[14, 192, '0–39'], [214, 42, '40–49'], [264, 192, '50–89'], [464, 42, '90–100']]);
  assert.deepEqual(bars.map((b) => [b.height, b.y]), [[87, 113], [174, 26], [0, 200], [58, 142]]);
  assert.deepEqual(C.histogramBars([{ from: 0, to: 9, pupils: 0 }]).map((b) => b.height), [0], 'nobody: no bar');
});
