/* Casebook: faceted lists and exact Chinese phrase search, from static files.
 *
 * Data (written at build time by generator/search/index.py, under
 * assets/casebook/data/): docs.json + docs.bin (facet columns), meta/<k>.json
 * (titles), bi/, tri/ and uni/ (the bigram, trigram and character index),
 * text/<p>.txt (the slices of page text of about 16 pages, for snippets: a row asks for its slice's
 * bytes alone, and takes them from the whole pack when the server ignores the range). A phrase matches at position p when each of its
 * covering bigrams occurs at p + its offset; positions come from the index,
 * so every hit is verified and nothing else is downloaded.
 *
 * Normalisation must equal generator/search/text.py: each character NFKC +
 * lower case when that stays one character; letters and digits (\p{L}\p{N})
 * make terms, everything else separates.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ROOT = script ? script.src.replace(/assets\/casebook\/casebook\.js(\?.*)?$/, "") : "/";
  var DATA = ROOT + "assets/casebook/data/";
  var TERM = /[\p{L}\p{N}]/u;
  var PAGE_SIZE = 20;
  var cache = new Map();

  function fetchOnce(path, type) {
    if (!cache.has(path)) {
      cache.set(path, fetch(DATA + path).then(function (response) {
        if (!response.ok) { throw new Error(path + ": " + response.status); }
        return type === "json" ? response.json() : type === "text" ? response.text() : response.arrayBuffer();
      }));
    }
    return cache.get(path);
  }

  // Bytes [start, end) of a text pack as text: a range request, or the whole pack (fetched once)
  // from a server that answers a range with the whole file.
  function fetchSlice(pack, start, end) {
    var path = "text/" + pack + ".txt", key = path + "#" + start + "-" + end;
    var decode = function (buffer) { return new TextDecoder("utf-8").decode(buffer); };
    if (cache.has(path)) {
      return cache.get(path).then(function (whole) { return decode(whole.slice(start, end)); });
    }
    if (!cache.has(key)) {
      cache.set(key, fetch(DATA + path, { headers: { Range: "bytes=" + start + "-" + (end - 1) } }).then(function (response) {
        if (!response.ok) { throw new Error(path + ": " + response.status); }
        return response.arrayBuffer().then(function (buffer) {
          var range = response.headers.get("Content-Range") || "";
          if (response.status === 206 && range.indexOf("bytes " + start + "-" + (end - 1) + "/") === 0) {
            return decode(buffer);
          }
          cache.set(path, Promise.resolve(buffer));
          return decode(buffer.slice(start, end));
        });
      }));
    }
    return cache.get(key);
  }

  function normalise(text) {
    return Array.from(text, function (c) {
      var n = c.normalize("NFKC").toLowerCase();
      return Array.from(n).length === 1 ? n : c;
    });
  }

  function fnv1a(bytes) {
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  function Reader(buffer) { this.b = new Uint8Array(buffer); this.o = 0; }
  Reader.prototype.v = function () {
    var value = 0, shift = 0, byte;
    do { byte = this.b[this.o++]; value += (byte & 0x7f) * Math.pow(2, shift); shift += 7; } while (byte >= 0x80);
    return value;
  };

  /* --- index lookups ------------------------------------------------ */

  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function hexOf(key) {
    return Array.from(encoder.encode(key), function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  }

  /* A term's shard entry: {inline: ArrayBuffer|null, size, external}. */
  function entry(kind, shards, key) {
    var keyBytes = encoder.encode(key);
    return fetchOnce(kind + "/" + (fnv1a(keyBytes) % shards) + ".bin", "bin").then(function (buffer) {
      var r = new Reader(buffer);
      while (r.o < r.b.length) {
        var length = r.v();
        var k = decoder.decode(r.b.subarray(r.o, r.o + length));
        r.o += length;
        var flag = r.v(), size = Math.floor(flag / 2), external = flag % 2 === 1;
        if (k === key) { return { inline: external ? null : buffer.slice(r.o, r.o + size), size: size, external: external }; }
        if (!external) { r.o += size; }
      }
      return { inline: null, size: 0, external: false };
    });
  }

  function external(kind, key, variant) { return fetchOnce(kind + "/" + variant + hexOf(key) + ".bin", "bin"); }

  function termData(kind, shards, key) {
    return entry(kind, shards, key).then(function (e) { return e.external ? external(kind, key, "x") : e.inline; });
  }

  /* Offsets of bigrams covering every character at the least download cost (see query.py). */
  function cheapestCover(costs) {
    var best = [];
    costs.forEach(function (cost, o) {
      if (o === 0) { best.push({ total: cost, count: 1, chosen: [0] }); return; }
      var a = best[o - 1], b = o >= 2 ? best[o - 2] : null, pick = a;
      if (b && (b.total < a.total || (b.total === a.total && b.count < a.count))) { pick = b; }
      best.push({ total: pick.total + cost, count: pick.count + 1, chosen: pick.chosen.concat([o]) });
    });
    return best[best.length - 1].chosen;
  }

  function docLevel(buffer, start) {  // Map doc → {tf, first}: [n][doc delta, occurrences, first position]…
    var map = new Map();
    if (!buffer) { return map; }
    var r = new Reader(buffer), n = r.v(), doc = 0;
    for (var i = 0; i < n; i++) { doc += r.v(); var tf = r.v(); map.set(doc, { tf: tf, first: r.v() - start }); }
    return map;
  }

  function positional(buffer) {  // Map doc → Int32Array of positions
    var map = new Map();
    if (!buffer) { return map; }
    var r = new Reader(buffer), n = r.v(), doc = 0;
    for (var i = 0; i < n; i++) {
      doc += r.v();
      var count = r.v(), positions = new Int32Array(count), p = 0;
      for (var j = 0; j < count; j++) { p += r.v(); positions[j] = p; }
      map.set(doc, positions);
    }
    return map;
  }

  function docList(buffer) {
    var set = new Set();
    if (!buffer) { return set; }
    var r = new Reader(buffer), n = r.v(), doc = 0;
    for (var i = 0; i < n; i++) { doc += r.v(); set.add(doc); }
    return set;
  }

  /* One whitespace-free term → Map doc → {tf, first} (positions verified). */
  function matchTerm(meta, term) {
    var chars = normalise(term), words = [], current = null;
    chars.forEach(function (c, i) {
      if (TERM.test(c)) {
        if (!current) { current = { start: i, chars: [] }; words.push(current); }
        current.chars.push(c);
      } else { current = null; }
    });
    if (!words.length) { return Promise.resolve(null); }
    var singles = words.filter(function (w) { return w.chars.length === 1; });
    var longer = words.filter(function (w) { return w.chars.length > 1; });
    var singleLoads = Promise.all(singles.map(function (w) { return termData("uni", meta.uni, w.chars[0]).then(docList); }));
    if (!longer.length) {
      return singleLoads.then(function (docSets) {
        var result = new Map();
        docSets[0].forEach(function (doc) {
          if (docSets.every(function (s) { return s.has(doc); })) { result.set(doc, { tf: 1, first: -1 }); }
        });
        return result;
      });
    }
    if (longer.length === 1 && !singles.length && longer[0].chars.length === 2) {
      var key = longer[0].chars.join("");
      return entry("bi", meta.bi, key).then(function (e) {
        if (e.external) {
          return external("bi", key, "d").then(function (buffer) { return docLevel(buffer, longer[0].start); });
        }
        var result = new Map();
        positional(e.inline).forEach(function (positions, doc) {
          result.set(doc, { tf: positions.length, first: positions[0] - longer[0].start });
        });
        return result;
      });
    }
    if (longer.length === 1 && !singles.length && longer[0].chars.length === 3) {
      /* Three characters whose two bigrams are both very common (dates: "202") have a
         document-level trigram entry: no positional list needed. */
      var w3 = longer[0], three = w3.chars.join("");
      var pairs = [w3.chars[0] + w3.chars[1], w3.chars[1] + w3.chars[2]];
      var trigram = Promise.all(pairs.map(function (k) { return entry("bi", meta.bi, k); })).then(function (entries) {
        if (!entries.every(function (e) { return e.external; })) { return null; }
        return termData("tri", meta.tri, three).then(function (buffer) { return docLevel(buffer, w3.start); });
      });
      return trigram.then(function (found) { return found || matchPositions(meta, longer, singleLoads); });
    }
    return matchPositions(meta, longer, singleLoads);
  }

  /* Words of two or more characters → Map doc → {tf, first}, every hit verified from positions. */
  function matchPositions(meta, longer, singleLoads) {
    var needs = Promise.all(longer.map(function (w) {
      var keys = [];
      for (var o = 0; o + 1 < w.chars.length; o++) { keys.push(w.chars[o] + w.chars[o + 1]); }
      return Promise.all(keys.map(function (k) { return entry("bi", meta.bi, k); })).then(function (entries) {
        var cover = cheapestCover(entries.map(function (e) { return e.external ? e.size : 0; }));
        return Promise.all(cover.map(function (o) {
          var data = entries[o].external ? external("bi", keys[o], "x") : Promise.resolve(entries[o].inline);
          return data.then(function (buffer) { return { postings: positional(buffer), offset: w.start + o }; });
        }));
      });
    })).then(function (lists) { return [].concat.apply([], lists); });
    return Promise.all([needs, singleLoads]).then(function (loaded) {
      var needed = loaded[0], docSets = loaded[1], result = new Map();
      var base = needed[0].postings, baseOffset = needed[0].offset;
      base.forEach(function (positions, doc) {
        if (!needed.every(function (n) { return n.postings.has(doc); })) { return; }
        if (!docSets.every(function (s) { return s.has(doc); })) { return; }
        var others = needed.slice(1).map(function (n) { return { set: new Set(n.postings.get(doc)), offset: n.offset }; });
        var tf = 0, firstHit = -1;
        for (var i = 0; i < positions.length; i++) {
          var start = positions[i] - baseOffset, ok = true;
          for (var k = 0; k < others.length && ok; k++) { ok = others[k].set.has(start + others[k].offset); }
          if (ok) { tf++; if (firstHit < 0) { firstHit = start; } }
        }
        if (tf) { result.set(doc, { tf: tf, first: firstHit }); }
      });
      return result;
    });
  }

  /* --- data ------------------------------------------------------------ */

  function loadData() {
    return Promise.all([fetchOnce("docs.json", "json"), fetchOnce("docs.bin", "bin")]).then(function (loaded) {
      var meta = loaded[0], bytes = new Uint8Array(loaded[1]), n = meta.n, o = 0;
      var titleLength = new Uint16Array(n);
      for (var d = 0; d < n; d++) { titleLength[d] = bytes[o] | (bytes[o + 1] << 8); o += 2; }
      var columns = {};
      meta.facets.forEach(function (facet) {
        var values = new Array(n);
        for (var doc = 0; doc < n; doc++) {
          var count = bytes[o++], own = [];
          for (var c = 0; c < count; c++) {
            own.push(facet.width === 1 ? bytes[o] : bytes[o] | (bytes[o + 1] << 8));
            o += facet.width;
          }
          values[doc] = own;
        }
        columns[facet.key] = { labels: facet.values, values: values };
      });
      meta.titleLength = titleLength;
      meta.columns = columns;
      return meta;
    });
  }

  /* --- the app ------------------------------------------------------- */

  function App(element, meta) {
    this.el = element;
    this.meta = meta;
    this.kind = element.getAttribute("data-cb-kind");
    this.facets = element.getAttribute("data-cb-facets").split(",").map(function (pair) {
      var parts = pair.split(":");
      return { key: parts[0], label: parts[1] };
    }).filter(function (f) { return meta.columns[f.key]; });
    if (this.kind === "all") { this.facets.unshift({ key: "kind", label: "类型" }); }
    this.input = element.querySelector(".cb-q");
    this.list = element.querySelector(".cb-list");
    this.count = element.querySelector(".cb-count");
    this.aside = element.querySelector(".cb-facets");
    this.expanded = {};
    this.readState();
    var self = this;
    element.querySelector(".cb-query").addEventListener("submit", function (event) {
      if (self.kind === "all" || self.input.value.trim()) {
        event.preventDefault();
        if (self.kind !== "all") { self.goSearch(); return; }
        self.state.q = self.input.value.trim();
        self.state.page = 1;
        self.update();
      }
    });
    window.addEventListener("popstate", function () { self.readState(); self.update(false); });
    this.update(false);
  }

  App.prototype.readState = function () {
    var params = new URLSearchParams(window.location.search), state = { q: params.get("q") || "", page: 1, selected: {} };
    state.page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    this.facets.forEach(function (f) { state.selected[f.key] = params.getAll(f.key); });
    this.state = state;
    if (this.input) { this.input.value = state.q; }
  };

  App.prototype.queryString = function () {
    var params = new URLSearchParams(), state = this.state;
    if (state.q) { params.set("q", state.q); }
    this.facets.forEach(function (f) { state.selected[f.key].forEach(function (v) { params.append(f.key, v); }); });
    if (state.page > 1) { params.set("page", String(state.page)); }
    var text = params.toString();
    return text ? "?" + text : "";
  };

  App.prototype.goSearch = function () {
    var params = new URLSearchParams(), state = this.state;
    params.set("q", this.input.value.trim());
    this.facets.forEach(function (f) { state.selected[f.key].forEach(function (v) { params.append(f.key, v); }); });
    params.append("kind", this.kind === "typical" ? "典型案例" : "案例记录");
    window.location.href = ROOT + "search/?" + params.toString();
  };

  App.prototype.update = function (push) {
    var self = this;
    if (push !== false) {
      history.pushState(null, "", window.location.pathname + this.queryString());
    }
    var terms = this.state.q.split(/\s+/).filter(Boolean);
    this.count.removeAttribute("data-cb-total");
    var search = terms.length ? Promise.all(terms.map(function (t) { return matchTerm(self.meta, t); })) : Promise.resolve(null);
    this.count.textContent = terms.length ? "检索中…" : this.count.textContent;
    return search.then(function (matches) { self.show(matches, terms); }).catch(function (error) {
      self.count.textContent = "检索数据读取失败：" + error.message;
    });
  };

  App.prototype.passesKind = function (doc) {
    if (this.kind === "all") { return true; }
    var kind = this.meta.columns.kind, label = this.kind === "typical" ? "典型案例" : "案例记录";
    return kind.labels[kind.values[doc][0]] === label;
  };

  App.prototype.passesFacet = function (doc, key) {
    var chosen = this.state.selected[key];
    if (!chosen.length) { return true; }
    var column = this.meta.columns[key];
    return column.values[doc].some(function (v) { return chosen.indexOf(column.labels[v]) >= 0; });
  };

  App.prototype.show = function (matches, terms) {
    var self = this, meta = this.meta, n = meta.n, base = [], scores = new Map();
    for (var doc = 0; doc < n; doc++) {
      if (!this.passesKind(doc)) { continue; }
      if (matches) {
        var tf = 0, title = 0, first = -1, ok = true;
        for (var t = 0; t < matches.length && ok; t++) {
          var m = matches[t] && matches[t].get(doc);
          if (!m) { ok = false; break; }
          tf += m.tf;
          if (m.first >= 0 && m.first < meta.titleLength[doc]) { title++; }
          if (t === 0) { first = m.first; }
        }
        if (!ok) { continue; }
        scores.set(doc, { tf: tf, title: title, first: first });
      }
      base.push(doc);
    }
    var results = base.filter(function (doc) {
      return self.facets.every(function (f) { return self.passesFacet(doc, f.key); });
    });
    if (matches) {
      results.sort(function (a, b) {
        var x = scores.get(a), y = scores.get(b);
        return (y.title - x.title) || (y.tf - x.tf) || (a - b);
      });
    }
    this.renderFacets(base);
    var pages = Math.max(1, Math.ceil(results.length / PAGE_SIZE));
    this.state.page = Math.min(this.state.page, pages);
    var shown = results.slice((this.state.page - 1) * PAGE_SIZE, this.state.page * PAGE_SIZE);
    this.count.textContent = (terms.length ? "找到 " : "共 ") + results.length + " 件" +
      (pages > 1 ? "，第 " + this.state.page + "/" + pages + " 页" : "");
    return this.renderRows(shown, scores, terms).then(function () {
      self.renderPager(pages);
      self.count.setAttribute("data-cb-total", String(results.length));  // rows are in place
    });
  };

  App.prototype.renderFacets = function (base) {
    var self = this, aside = this.aside;
    aside.textContent = "";
    this.facets.forEach(function (facet) {
      var column = self.meta.columns[facet.key], counts = new Array(column.labels.length).fill(0);
      base.forEach(function (doc) {
        var ok = self.facets.every(function (g) { return g.key === facet.key || self.passesFacet(doc, g.key); });
        if (ok) { column.values[doc].forEach(function (v) { counts[v]++; }); }
      });
      var chosen = self.state.selected[facet.key];
      var options = column.labels.map(function (label, i) { return { label: label, count: counts[i] }; })
        .filter(function (o) { return o.count > 0 || chosen.indexOf(o.label) >= 0; });
      if (!options.length) { return; }
      var box = document.createElement("div"), title = document.createElement("p");
      box.className = "cb-facet";
      box.setAttribute("data-cb-facet", facet.key);
      title.className = "cb-facet-title";
      title.textContent = facet.label;
      box.appendChild(title);
      var limit = self.expanded[facet.key] ? options.length : 8;
      options.forEach(function (o) {
        var row = document.createElement("label"), input = document.createElement("input");
        input.type = "checkbox";
        input.value = o.label;
        input.checked = chosen.indexOf(o.label) >= 0;
        input.addEventListener("change", function () {
          var list = self.state.selected[facet.key], at = list.indexOf(o.label);
          if (input.checked && at < 0) { list.push(o.label); }
          if (!input.checked && at >= 0) { list.splice(at, 1); }
          self.state.page = 1;
          self.update();
        });
        var name = document.createElement("span"), count = document.createElement("span");
        name.textContent = o.label;
        count.className = "cb-facet-count";
        count.textContent = String(o.count);
        row.appendChild(input); row.appendChild(name); row.appendChild(count);
        if (box.querySelectorAll("label").length >= limit && !input.checked) { row.hidden = true; }
        box.appendChild(row);
      });
      if (options.length > limit) {
        var more = document.createElement("button");
        more.type = "button";
        more.className = "cb-more";
        more.textContent = "显示全部 " + options.length + " 项";
        more.addEventListener("click", function () {
          self.expanded[facet.key] = true;
          box.querySelectorAll("label[hidden]").forEach(function (row) { row.hidden = false; });
          more.remove();
        });
        box.appendChild(more);
      }
      aside.appendChild(box);
    });
    var any = this.facets.some(function (f) { return self.state.selected[f.key].length; });
    if (any) {
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "md-button cb-clear";
      clear.textContent = "清除筛选";
      clear.addEventListener("click", function () {
        self.facets.forEach(function (f) { self.state.selected[f.key] = []; });
        self.state.page = 1;
        self.update();
      });
      aside.appendChild(clear);
    }
  };

  App.prototype.renderRows = function (docs, scores, terms) {
    var self = this, chunk = this.meta.chunk;
    var chunks = Array.from(new Set(docs.map(function (d) { return Math.floor(d / chunk); })));
    var loads = chunks.map(function (c) { return fetchOnce("meta/" + c + ".json", "json"); });
    var step = this.meta.text[0], byChunk = new Map(), slices = [];
    return Promise.all(loads).then(function (rows) {
      chunks.forEach(function (c, i) { byChunk.set(c, rows[i]); });
      // The slice holding the snippet; the last slice of a page runs to its end. row[3] is the
      // page's text pack, row[4] the byte offsets of its slices there (one more than slices).
      slices = terms.length ? docs.map(function (d) {
        var last = byChunk.get(Math.floor(d / chunk))[d % chunk][4].length - 2;
        return Math.min(Math.floor(Math.max(0, scores.get(d).first - 30) / step), last);
      }) : [];
      return Promise.all(docs.map(function (d, i) {
        if (!terms.length) { return null; }
        var row = byChunk.get(Math.floor(d / chunk))[d % chunk];
        return fetchSlice(row[3], row[4][slices[i]], row[4][slices[i] + 1]);
      }));
    }).then(function (texts) {
      self.list.textContent = "";
      docs.forEach(function (doc, i) {
        var row = byChunk.get(Math.floor(doc / chunk))[doc % chunk];
        var li = document.createElement("li"), a = document.createElement("a"), line = document.createElement("span");
        li.className = "cb-item";
        li.setAttribute("data-cb-doc", String(doc));
        a.href = ROOT + row[0];
        a.textContent = row[1];
        line.className = "cb-meta";
        line.textContent = row[2];
        li.appendChild(a); li.appendChild(line);
        if (terms.length) {
          var snippet = document.createElement("p");
          snippet.className = "cb-snippet";
          appendSnippet(snippet, texts[i], scores.get(doc).first, terms, slices[i] * step);
          li.appendChild(snippet);
        }
        self.list.appendChild(li);
      });
      if (!docs.length) {
        var empty = document.createElement("li");
        empty.className = "cb-empty";
        empty.textContent = terms.length ? "没有包含“" + terms.join(" ") + "”的页面。" : "没有符合条件的条目。";
        self.list.appendChild(empty);
      }
    });
  };

  App.prototype.renderPager = function (pages) {
    var self = this, old = this.el.querySelector(".cb-pager");
    if (old) { old.remove(); }
    if (pages <= 1) { return; }
    var nav = document.createElement("nav");
    nav.className = "cb-pager";
    [["上一页", -1], ["下一页", 1]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "md-button";
      button.textContent = spec[0];
      var target = self.state.page + spec[1];
      button.disabled = target < 1 || target > pages;
      button.addEventListener("click", function () { self.state.page = target; self.update(); window.scrollTo(0, 0); });
      nav.appendChild(button);
    });
    this.list.parentNode.appendChild(nav);
  };

  /* Text around the first hit, with every query term marked. */
  function appendSnippet(element, text, first, terms, base) {  // text is the page's slice starting at base
    var chars = Array.from(text), normal = normalise(text);
    var start = first >= 0 ? first - base : findFirst(normal, terms);
    var from = Math.max(0, start - 30), to = Math.min(chars.length, Math.max(start, 0) + 90);
    var marks = new Uint8Array(to - from);
    terms.forEach(function (term) {
      var q = normalise(term);
      for (var i = from; i + q.length <= to; i++) {
        var ok = true;
        for (var k = 0; k < q.length && ok; k++) { ok = !TERM.test(q[k]) || normal[i + k] === q[k]; }
        if (ok) { for (var k2 = 0; k2 < q.length; k2++) { marks[i - from + k2] = 1; } }
      }
    });
    if (from + base > 0) { element.appendChild(document.createTextNode("…")); }
    var i = from;
    while (i < to) {
      var j = i;
      while (j < to && marks[j - from] === marks[i - from]) { j++; }
      var piece = chars.slice(i, j).join("").replace(/\s+/g, " ");
      if (marks[i - from]) {
        var mark = document.createElement("mark");
        mark.textContent = piece;
        element.appendChild(mark);
      } else { element.appendChild(document.createTextNode(piece)); }
      i = j;
    }
    if (to < chars.length) { element.appendChild(document.createTextNode("…")); }
  }

  function findFirst(normal, terms) {
    var q = normalise(terms[0]);
    for (var i = 0; i + q.length <= normal.length; i++) {
      var ok = true;
      for (var k = 0; k < q.length && ok; k++) { ok = normal[i + k] === q[k]; }
      if (ok) { return i; }
    }
    return 0;
  }

  function start() {
    var apps = document.querySelectorAll(".cb-app");
    if (!apps.length) { return; }
    loadData().then(function (meta) {
      apps.forEach(function (element) { new App(element, meta); });
    }).catch(function (error) {
      apps.forEach(function (element) {
        var count = element.querySelector(".cb-count");
        if (count) { count.textContent = "检索数据读取失败：" + error.message; }
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
