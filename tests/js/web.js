// Loads page scripts from web/ into a plain object standing for `window`, with a small fake DOM,
// so that `node --test tests/js/*.test.js` can check the pages' logic without a browser.
// The scripts run in this realm (not a vm context), so their arrays and objects compare with
// assert.deepStrictEqual; `document` and `fetch` are handed to them as parameters, never globals.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const WEB = path.join(__dirname, '..', '..', 'web');

/** A storage object like localStorage, in memory. */
function memoryStorage() {
  const items = new Map();
  return {
    get length() { return items.size; },
    key(i) { const keys = Array.from(items.keys()); return i >= 0 && i < keys.length ? keys[i] : null; },
    getItem(k) { return items.has(k) ? items.get(k) : null; },
    setItem(k, v) { items.set(k, String(v)); },
    removeItem(k) { items.delete(k); },
    clear() { items.clear(); },
  };
}

/** A fake element: attributes, children, text, `hidden`, `classList`, `style`. */
class FakeElement {
  constructor(tag, doc) {
    this.tagName = String(tag).toUpperCase();
    this.ownerDocument = doc;
    this.childNodes = [];
    this.attributes = {};
    this.style = {};
    this.hidden = false;
    this.parentNode = null;
    const self = this;
    this.classList = {
      toggle(name, on) {
        const list = self.className ? self.className.split(/\s+/) : [];
        const has = list.indexOf(name) >= 0;
        const want = on === undefined ? !has : !!on;
        if (want && !has) list.push(name);
        if (!want && has) list.splice(list.indexOf(name), 1);
        self.className = list.join(' ');
        return want;
      },
      contains(name) { return (self.className || '').split(/\s+/).indexOf(name) >= 0; },
    };
  }
  get firstChild() { return this.childNodes[0] || null; }
  get children() { return this.childNodes.filter((n) => n instanceof FakeElement); }
  appendChild(node) { this.childNodes.push(node); node.parentNode = this; return node; }
  removeChild(node) { this.childNodes.splice(this.childNodes.indexOf(node), 1); node.parentNode = null; return node; }
  setAttribute(k, v) { this.attributes[k] = String(v); if (k === 'id') this.ownerDocument.ids[v] = this; }
  getAttribute(k) { return Object.prototype.hasOwnProperty.call(this.attributes, k) ? this.attributes[k] : null; }
  removeAttribute(k) { delete this.attributes[k]; }
  get className() { return this.getAttribute('class') || ''; }
  set className(v) { this.setAttribute('class', v); }
  get textContent() { return this.childNodes.map((n) => n.textContent).join(''); }
  set textContent(v) { this.childNodes = [{ textContent: String(v), nodeType: 3 }]; }
  addEventListener() {}
  /** Descendants (depth first) for which `pred` holds. */
  findAll(pred) {
    const out = [];
    for (const c of this.children) {
      if (pred(c)) out.push(c);
      out.push(...c.findAll(pred));
    }
    return out;
  }
  /** The descendant with `data-testid` `id`, or null. */
  byTestId(id) { return this.findAll((n) => n.getAttribute('data-testid') === id)[0] || null; }
  querySelector(sel) { return querySelectorAll(this, sel)[0] || null; }
  querySelectorAll(sel) { return querySelectorAll(this, sel); }
}

/** Enough of CSS selectors for the pages' helpers: `#id`, `tag`, `[attr]`, `[attr="v"]`. */
function querySelectorAll(root, sel) {
  const m = /^(#[\w-]+)$|^([a-z]+)$|^\[([\w-]+)(?:="([^"]*)")?\]$/i.exec(sel.trim());
  if (!m) throw new Error('fake DOM: unsupported selector ' + sel);
  return root.findAll((n) => {
    if (m[1]) return n.getAttribute('id') === m[1].slice(1);
    if (m[2]) return n.tagName === m[2].toUpperCase();
    return n.getAttribute(m[3]) !== null && (m[4] === undefined || n.getAttribute(m[3]) === m[4]);
  });
}

/** A fake document: `body` holds every element made with `make(id, tag)`. */
function fakeDocument() {
  const doc = { ids: {} };
  doc.createElement = (tag) => new FakeElement(tag, doc);
  doc.createElementNS = (ns, tag) => new FakeElement(tag, doc);
  doc.createTextNode = (text) => ({ textContent: String(text), nodeType: 3 });
  doc.documentElement = new FakeElement('html', doc);
  doc.body = new FakeElement('body', doc);
  doc.querySelector = (sel) => doc.body.querySelector(sel);
  doc.querySelectorAll = (sel) => doc.body.querySelectorAll(sel);
  doc.addEventListener = () => {};
  /** Adds an element with id `id` to the page and returns it. */
  doc.make = (id, tag) => {
    const node = doc.createElement(tag || 'div');
    node.setAttribute('id', id);
    doc.body.appendChild(node);
    return node;
  };
  return doc;
}

/** `fetch` for core.js's dictionary loads: /assets/i18n/NAME.LANG.json from web/i18n. */
function fakeFetch(url) {
  const m = /^\/assets\/i18n\/([\w-]+\.(?:fr|en)\.json)/.exec(url);
  const file = m && path.join(WEB, 'i18n', m[1]);
  if (!file || !fs.existsSync(file)) {
    return Promise.resolve({ ok: false, status: 404, json: () => Promise.reject(new Error('404')) });
  }
  const text = fs.readFileSync(file, 'utf8');
  return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(JSON.parse(text)) });
}

/**
 * Runs `scripts` (paths under web/, e.g. 'js/core.js') in order against a fresh fake window and
 * returns it (`window.Loupe`, `window.LoupeCharts` …, and `window.document`).
 */
function load(scripts) {
  const document = fakeDocument();
  const window = {
    console: { warn() {}, log: console.log, error: console.error },
    document,
    navigator: { language: 'fr-FR' },
    location: { protocol: 'http:', host: '192.168.1.20:8080', pathname: '/', search: '', hash: '' },
    history: { replaceState() {} },
    localStorage: memoryStorage(),
    sessionStorage: memoryStorage(),
    setTimeout, clearTimeout, setInterval, clearInterval,
    addEventListener() {},
  };
  window.window = window;
  for (const script of scripts) {
    const code = fs.readFileSync(path.join(WEB, script), 'utf8');
    // eslint-disable-next-line no-new-func
    new Function('window', 'document', 'fetch', code + '\n//# sourceURL=' + script)(window, document, fakeFetch);
  }
  return window;
}

/** `load(scripts)`, then the real dictionaries `names` in `lang` (core.js's loadLang). */
async function loadWithLang(scripts, lang, names) {
  const window = load(scripts);
  await window.Loupe.loadLang(lang, names);
  return window;
}

/** A dictionary of web/i18n, as the pages get it. */
function dictionary(name, lang) {
  return JSON.parse(fs.readFileSync(path.join(WEB, 'i18n', name + '.' + lang + '.json'), 'utf8'));
}

module.exports = { load, loadWithLang, dictionary, memoryStorage };
