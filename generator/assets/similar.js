/* Casebook: "类案检索" for a typed case description, in the browser, offline, no dependencies.
 *
 * Model: the JSON that generator/derive/similar.py export_client_model() writes at build time,
 *   {version, maxTermLength, terms[], idf[], entries[{id, title, url, class, className, terms[], weights[]}]}
 * — the typical entries of this edition only, each a normalised (1 + ln tf) · idf vector over
 * `terms`. The page holds <div data-cb-similar data-model="../assets/similar.json" data-top="10">.
 *
 * Why no jieba here: its dictionary is megabytes, and only words of the exported vocabulary can
 * score anyway. So the query is segmented against that vocabulary itself:
 *   1. forward maximum matching: at each position the longest vocabulary term, else skip a character;
 *   2. the vocabulary words inside each match of 3+ characters, as the build adds the parts of a
 *      long word (不动产权证 → 不动产、权证), so both sides count them alike;
 *   3. character bigrams that straddle two consecutive matches and are vocabulary words: they
 *      recover a word that greedy matching cut through (开发商|品房 → 商品).
 * Measured on the evaluation texts (tests/data/similar_eval.yaml), the top entry equals the one
 * the build's jieba-based `casebook similar` ranks first for 87 of 92 queries (the 46 texts, and
 * their titles alone).
 * Normalisation equals generator/search/text.py: NFKC + lower case per character.
 */
(function (root) {
  "use strict";

  var RUN = /[\p{L}]+/gu;
  var MIN_SCORE = 0.05;  // as SimilarityIndex.query: below it a match is one shared common word
  var prepared = typeof WeakMap === "function" ? new WeakMap() : null;

  function normalise(text) {
    return Array.from(text, function (c) {
      var n = c.normalize("NFKC").toLowerCase();
      return Array.from(n).length === 1 ? n : c;
    }).join("");
  }

  /* term → column, built once per model. */
  function columns(model) {
    var found = prepared && prepared.get(model);
    if (!found) {
      found = new Map();
      model.terms.forEach(function (term, i) { found.set(term, i); });
      if (prepared) { prepared.set(model, found); }
    }
    return found;
  }

  /* The vocabulary terms of `text`, in order, with repeats (see the header for the three steps). */
  function segment(text, model) {
    var vocab = columns(model), longest = model.maxTermLength || 0, out = [];
    (normalise(text).match(RUN) || []).forEach(function (chars) {
      var run = Array.from(chars), i = 0, ends = [];
      while (i < run.length) {
        var length = Math.min(longest, run.length - i), matched = 0;
        for (; length > 0; length--) {
          var word = run.slice(i, i + length).join("");
          if (vocab.has(word)) { matched = length; out.push(word); break; }
        }
        if (matched >= 3) { pushParts(run, i, matched, vocab, out); }
        i += matched || 1;
        ends.push(i);
      }
      ends.slice(0, -1).forEach(function (end) {
        var bigram = run[end - 1] + run[end];
        if (vocab.has(bigram)) { out.push(bigram); }
      });
    });
    return out;
  }

  function pushParts(run, start, length, vocab, out) {
    var seen = new Set();
    for (var a = start; a < start + length; a++) {
      for (var b = a + 2; b <= start + length; b++) {
        var part = run.slice(a, b).join("");
        if (b - a < length && vocab.has(part) && !seen.has(part)) { seen.add(part); out.push(part); }
      }
    }
  }

  /* column → weight, (1 + ln tf) · idf, L2-normalised. */
  function vectorize(terms, model) {
    var vocab = columns(model), counts = new Map(), vector = new Map(), norm = 0;
    terms.forEach(function (term) { counts.set(term, (counts.get(term) || 0) + 1); });
    counts.forEach(function (count, term) {
      var column = vocab.get(term), weight = (1 + Math.log(count)) * model.idf[column];
      vector.set(column, weight);
      norm += weight * weight;
    });
    norm = Math.sqrt(norm) || 1;
    vector.forEach(function (weight, column) { vector.set(column, weight / norm); });
    return vector;
  }

  /* The `top` entries closest to `text`, best first; equal scores by id. */
  function rank(text, model, top) {
    var query = vectorize(segment(text, model), model), hits = [];
    if (!query.size) { return hits; }
    model.entries.forEach(function (entry) {
      var score = 0;
      for (var k = 0; k < entry.terms.length; k++) {
        var q = query.get(entry.terms[k]);
        if (q !== undefined) { score += q * entry.weights[k]; }
      }
      if (score >= MIN_SCORE) {
        hits.push({ id: entry.id, title: entry.title, url: entry.url, class: entry.class,
                    className: entry.className, score: Math.round(score * 1e4) / 1e4 });
      }
    });
    hits.sort(function (x, y) { return y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0); });
    return hits.slice(0, top || 10);
  }

  /* --- the text box ------------------------------------------------- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function mount(host) {
    var modelUrl = new URL(host.getAttribute("data-model"), document.baseURI).href;
    var top = parseInt(host.getAttribute("data-top") || "10", 10);
    var box = element("textarea", "cb-similar-input");
    box.rows = 4;
    box.placeholder = "输入案情描述，例如：小区交房五年仍未办理不动产权证，开发企业欠缴土地出让金";
    box.setAttribute("aria-label", "案情描述");
    var button = element("button", "md-button md-button--primary cb-similar-run", "查找相似案例");
    button.type = "button";
    var status = element("p", "cb-similar-status");
    var list = element("ol", "cb-similar-results");
    host.append(box, button, status, list);
    var model = null;

    function show(hits) {
      list.replaceChildren();
      status.textContent = hits.length ? "最相似的典型案例：" : "没有找到相似的典型案例，请换一种说法或补充案情。";
      hits.forEach(function (hit) {
        var item = element("li"), link = element("a", null, hit.title);
        link.href = new URL(hit.url, document.baseURI).href;
        item.append(link);
        if (hit.class) {
          item.append(" ", element("span", "cb-similar-class", hit.class + (hit.className ? " " + hit.className : "")));
        }
        item.append(" ", element("span", "cb-similar-score", "相似度 " + hit.score.toFixed(2)));
        list.append(item);
      });
    }

    button.addEventListener("click", function () {
      if (!box.value.trim()) { status.textContent = "请先输入案情描述。"; return; }
      status.textContent = "正在检索…";
      (model ? Promise.resolve(model) : fetch(modelUrl).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })).then(function (loaded) {
        model = loaded;
        show(rank(box.value, model, top));
      }).catch(function () { status.textContent = "相似案例数据加载失败。"; });
    });
  }

  var api = { normalise: normalise, segment: segment, vectorize: vectorize, rank: rank };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.CasebookSimilar = api;
    var start = function () { document.querySelectorAll("[data-cb-similar]").forEach(mount); };
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  }
})(typeof window !== "undefined" ? window : this);
