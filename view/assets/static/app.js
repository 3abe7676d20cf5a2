// research view: the overview's curves (hover, smoothing, zoom, live
// updates) and small conveniences. Our own code, no library: text from the
// server only ever goes in through textContent.
(function () {
  'use strict';

  // Filters apply as soon as a menu changes, and leave the empty fields
  // out of the URL.
  document.querySelectorAll('form.filters').forEach(function (form) {
    form.addEventListener('submit', function () {
      form.querySelectorAll('input, select').forEach(function (f) { if (f.name && f.value === '') f.disabled = true; });
    });
    form.querySelectorAll('select').forEach(function (sel) {
      sel.addEventListener('change', function () { form.requestSubmit(); });
    });
  });
  // Back to a page whose fields were disabled on submit: enable them again.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form.filters [disabled]').forEach(function (f) { f.disabled = false; });
  });

  var root = document.getElementById('charts');
  if (!root) return;
  var SVG = 'http://www.w3.org/2000/svg';
  var W = 380, H = 190, L = 52, R = 10, T = 10, B = 24;
  var api = root.dataset.api, poll = Number(root.dataset.poll) || 3000;
  var points = [], total = 0, keys = [], titles = {};
  var zoom = null, hoverStep = null, charts = {};
  var slider = document.getElementById('smooth'), sliderOut = document.getElementById('smooth-out');
  var smooth = slider ? Number(slider.value) : 0;

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function fmt(x) {
    if (x === undefined || x === null || isNaN(x)) return '–';
    var a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
    return Number(x.toPrecision(4)).toString();
  }

  // series returns a metric's train and validation points, by step.
  function series(key) {
    var tr = [], va = [];
    points.forEach(function (p) {
      var v = p.values[key];
      if (v === undefined) return;
      (p.phase === 'val' ? va : tr).push([p.step, v]);
    });
    return { train: tr, val: va };
  }

  // ema smooths as TensorBoard does: an exponential moving average with
  // its start-up bias removed.
  function ema(pts, a) {
    var out = [], last = 0, w = 0;
    pts.forEach(function (p) {
      last = a * last + (1 - a) * p[1];
      w = a * w + (1 - a);
      out.push([p[0], last / w]);
    });
    return out;
  }

  // ticks returns round values between lo and hi, about n of them: steps
  // of 1, 2 or 5 times a power of ten.
  function ticks(lo, hi, n) {
    var raw = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * p; }).find(function (s) { return s >= raw; });
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  }

  function ensureChart(key) {
    if (charts[key]) return charts[key];
    var box = document.createElement('figure');
    box.className = 'chart';
    box.dataset.metric = key;
    var cap = document.createElement('figcaption');
    var name = document.createElement('span');
    name.className = 'name';
    var legend = document.createElement('span');
    legend.className = 'legend';
    cap.appendChild(name);
    cap.appendChild(legend);
    box.appendChild(cap);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' });
    box.appendChild(svg);
    root.appendChild(box);
    var c = { key: key, box: box, svg: svg, name: name, legend: legend, x0: 0, x1: 1 };
    attachPointer(c);
    charts[key] = c;
    return c;
  }

  function xScale(c, s) { return L + (s - c.x0) / Math.max(c.x1 - c.x0, 1e-9) * (W - L - R); }
  function stepAt(c, px) { return c.x0 + (px - L) / (W - L - R) * (c.x1 - c.x0); }

  function svgX(c, ev) {
    var r = c.svg.getBoundingClientRect();
    return (ev.clientX - r.left) * W / r.width;
  }

  function attachPointer(c) {
    var drag = null, sel = null;
    c.svg.addEventListener('mousedown', function (ev) {
      drag = svgX(c, ev);
      sel = el('rect', { x: drag, y: T, width: 0, height: H - T - B, 'class': 'sel' }, c.svg);
      ev.preventDefault();
    });
    c.svg.addEventListener('mousemove', function (ev) {
      var x = svgX(c, ev);
      if (drag !== null && sel) {
        sel.setAttribute('x', Math.min(drag, x));
        sel.setAttribute('width', Math.abs(x - drag));
      }
      hoverStep = stepAt(c, x);
      drawAll();
    });
    c.svg.addEventListener('mouseleave', function () {
      hoverStep = null;
      drag = null;
      drawAll();
    });
    window.addEventListener('mouseup', function (ev) {
      if (drag === null) return;
      var x = svgX(c, ev);
      if (Math.abs(x - drag) > 6) {
        var a = stepAt(c, Math.min(x, drag)), b = stepAt(c, Math.max(x, drag));
        zoom = [a, b];
      }
      drag = null;
      drawAll();
    });
    c.svg.addEventListener('dblclick', function () { zoom = null; drawAll(); });
  }

  function nearest(pts, step) {
    var best = null;
    pts.forEach(function (p) {
      if (best === null || Math.abs(p[0] - step) < Math.abs(best[0] - step)) best = p;
    });
    return best;
  }

  function path(c, pts, y) {
    return pts.map(function (p, i) {
      return (i ? 'L' : 'M') + xScale(c, p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1);
    }).join(' ');
  }

  function draw(c) {
    var s = series(c.key);
    var all = s.train.concat(s.val);
    while (c.svg.firstChild) c.svg.removeChild(c.svg.firstChild);
    c.name.textContent = titles[c.key] || c.key;
    if (!all.length) return;
    var steps = all.map(function (p) { return p[0]; });
    c.x0 = zoom ? zoom[0] : Math.min.apply(null, steps);
    c.x1 = zoom ? zoom[1] : Math.max.apply(null, steps);
    if (c.x1 === c.x0) { c.x0 -= 1; c.x1 += 1; }
    if (!zoom) { var m = (c.x1 - c.x0) * 0.02; c.x0 -= m; c.x1 += m; } // room for the end points' dots
    var vis = all.filter(function (p) { return p[0] >= c.x0 && p[0] <= c.x1; });
    if (!vis.length) vis = all;
    var vals = vis.map(function (p) { return p[1]; });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi === lo) { var d = Math.abs(hi) * 0.1 || 1; lo -= d; hi += d; }
    var pad = (hi - lo) * 0.06;
    lo -= pad; hi += pad;
    var y = function (v) { return T + (hi - v) / (hi - lo) * (H - T - B); };
    var clip = 'clip-' + c.key.replace(/[^a-z0-9_]/gi, '');
    var defs = el('defs', {}, c.svg);
    var cp = el('clipPath', { id: clip }, defs);
    el('rect', { x: L, y: T, width: W - L - R, height: H - T - B }, cp);
    ticks(lo, hi, 4).forEach(function (v) {
      var yy = y(v);
      el('line', { x1: L, x2: W - R, y1: yy, y2: yy, 'class': 'grid' }, c.svg);
      el('text', { x: L - 4, y: yy + 3, 'class': 'tick', 'text-anchor': 'end' }, c.svg).textContent = fmt(v);
    });
    ticks(c.x0, c.x1, 5).forEach(function (st) {
      if (st !== Math.round(st)) return; // steps are whole
      el('text', { x: xScale(c, st), y: H - 6, 'class': 'tick', 'text-anchor': 'middle' }, c.svg).textContent = String(st);
    });
    var g = el('g', { 'clip-path': 'url(#' + clip + ')' }, c.svg);
    var sm = smooth > 0 ? ema(s.train, smooth) : s.train;
    if (s.train.length) {
      if (smooth > 0) el('path', { d: path(c, s.train, y), 'class': 'raw' }, g);
      el('path', { d: path(c, sm, y), 'class': 'train' }, g);
    }
    if (s.val.length) {
      el('path', { d: path(c, s.val, y), 'class': 'val' }, g);
      s.val.forEach(function (p) { el('circle', { cx: xScale(c, p[0]), cy: y(p[1]), r: 3, 'class': 'valdot' }, g); });
    }
    var legend = [];
    if (hoverStep !== null) {
      var tp = nearest(s.train, hoverStep), vp = nearest(s.val, hoverStep);
      var at = tp ? tp[0] : vp[0];
      el('line', { x1: xScale(c, at), x2: xScale(c, at), y1: T, y2: H - B, 'class': 'hover' }, c.svg);
      legend.push('step ' + at);
      if (tp) {
        var smp = nearest(sm, at);
        legend.push('train ' + fmt(tp[1]) + (smooth > 0 ? ' (smoothed ' + fmt(smp[1]) + ')' : ''));
        el('circle', { cx: xScale(c, tp[0]), cy: y(smp[1]), r: 3.5, 'class': 'hoverdot' }, c.svg);
      }
      if (vp && vp[0] === at) legend.push('val ' + fmt(vp[1]));
    } else {
      if (s.train.length) legend.push('train ' + fmt(s.train[s.train.length - 1][1]));
      if (s.val.length) legend.push('val ' + fmt(s.val[s.val.length - 1][1]));
    }
    c.legend.textContent = legend.join(' · ');
  }

  function drawAll() {
    keys.forEach(function (k) { draw(ensureChart(k)); });
  }

  function showErrors(errs) {
    var box = document.getElementById('chart-errors');
    if (!box) return;
    while (box.firstChild) box.removeChild(box.firstChild);
    (errs || []).forEach(function (e) {
      var p = document.createElement('p');
      p.className = 'error';
      p.textContent = e;
      box.appendChild(p);
    });
  }

  function refresh() {
    return fetch(api + '?after=' + total, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('metrics: HTTP ' + r.status);
        return r.json();
      })
      .then(function (a) {
        if (a.total < total) { points = []; total = 0; return refresh(); }
        var fresh = a.points.length > 0 || keys.length !== a.keys.length;
        points = points.concat(a.points);
        total = a.total;
        keys = a.keys;
        titles = a.titles;
        showErrors(a.errors);
        var live = document.getElementById('live');
        if (live) live.hidden = !(a.updated_ms && Date.now() - a.updated_ms < 120000);
        root.dataset.points = String(total);
        if (fresh) drawAll();
      })
      .catch(function (e) { showErrors([String(e.message || e)]); });
  }

  if (slider) {
    slider.addEventListener('input', function () {
      smooth = Number(slider.value);
      if (sliderOut) sliderOut.textContent = slider.value;
      drawAll();
    });
  }
  var reset = document.getElementById('zoom-reset');
  if (reset) reset.addEventListener('click', function () { zoom = null; drawAll(); });

  refresh();
  setInterval(refresh, poll);
})();
