// kguard HTML report: the findings explorer. Data comes from the JSON block
// #kg-data (tables of rules, objects and fields, then one array per
// finding); nothing is fetched. Text is always set with textContent.
(function () {
  'use strict';
  // The data block is gzip-compressed JSON in base64 (see writeData).
  function load() {
    var b64 = document.getElementById('kg-data').textContent.trim();
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }
  if (typeof DecompressionStream === 'undefined') {
    document.getElementById('kg-count').textContent = 'This browser cannot open the findings list (it lacks DecompressionStream); the overview above is complete.';
    return;
  }
  load().then(start, function (err) {
    document.getElementById('kg-count').textContent = 'The findings list could not be read: ' + err;
    throw err;
  });
})();

function start(D) {
  'use strict';
  var SEV = ['info', 'low', 'medium', 'high', 'critical'];
  var PAGE = 50;
  // A finding: [rule, object, field, severity, message, flags, suppression]
  // flags: 1 suppressed, 2 new since the baseline.
  var R = D.rules, O = D.objects, F = D.fields, X = D.findings, SUP = D.suppressions;
  var $ = function (id) { return document.getElementById(id); };
  var state = { q: '', sev: {}, cat: '', ns: '', rule: '', onlyNew: false, suppressed: false, page: 0, list: [] };
  var hay = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function fmt(n) { return n.toLocaleString('en-US'); }
  function haystack(i) {
    var f = X[i], r = R[f[0]], o = O[f[1]];
    return (r[0] + '\n' + r[1] + '\n' + o[0] + ' ' + o[1] + '/' + o[2] + '\n' + o[3] + '\n' + F[f[2]] + '\n' + f[4]).toLowerCase();
  }
  function matches(i) {
    var f = X[i], r = R[f[0]], o = O[f[1]];
    if ((f[5] & 1) && !state.suppressed) { return false; }
    if (state.onlyNew && !(f[5] & 2)) { return false; }
    if (!state.sev[SEV[f[3]]]) { return false; }
    if (state.cat && r[3] !== state.cat) { return false; }
    if (state.ns && o[1] !== state.ns) { return false; }
    if (state.rule && r[0] !== state.rule) { return false; }
    if (state.q) {
      if (!hay) { hay = new Array(X.length); }
      if (hay[i] === undefined) { hay[i] = haystack(i); }
      var words = state.q.split(/\s+/);
      for (var w = 0; w < words.length; w++) {
        if (words[w] && hay[i].indexOf(words[w]) < 0) { return false; }
      }
    }
    return true;
  }
  function apply() {
    var out = [];
    for (var i = 0; i < X.length; i++) { if (matches(i)) { out.push(i); } }
    out.sort(function (a, b) { return (X[b][3] - X[a][3]) || (a - b); });
    state.list = out;
    state.page = 0;
    render();
  }
  function render() {
    var tbody = $('kg-rows');
    tbody.textContent = '';
    var n = state.list.length, pages = Math.max(1, Math.ceil(n / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var from = state.page * PAGE, to = Math.min(n, from + PAGE);
    for (var k = from; k < to; k++) {
      var f = X[state.list[k]], r = R[f[0]], o = O[f[1]];
      var tr = el('tr', (f[5] & 1) ? 'suppressed' : '');
      var td = el('td', 'sev');
      td.appendChild(el('span', 'pill sev-' + SEV[f[3]], SEV[f[3]]));
      tr.appendChild(td);
      td = el('td');
      td.appendChild(el('div', 'rule mono', r[0]));
      td.appendChild(el('div', 'title', r[1]));
      tr.appendChild(td);
      td = el('td');
      td.appendChild(el('div', '', o[0] + ' ' + (o[1] ? o[1] + '/' : '') + o[2]));
      if (o[3]) { td.appendChild(el('div', 'loc mono', o[3])); }
      tr.appendChild(td);
      td = el('td');
      var msg = el('div', 'msg', f[4]);
      if (f[5] & 2) { msg.appendChild(el('span', 'tag new', 'new')); }
      if (f[5] & 1) { msg.appendChild(el('span', 'tag', 'suppressed')); }
      td.appendChild(msg);
      if (F[f[2]]) { td.appendChild(el('div', 'loc mono', F[f[2]])); }
      if (r[4]) { td.appendChild(el('div', 'fix', 'Fix: ' + r[4])); }
      if (f[5] & 1) { td.appendChild(el('div', 'fix', SUP[f[6]])); }
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    $('kg-count').textContent = n === 0 ? 'No finding matches.' :
      'Showing ' + fmt(from + 1) + '–' + fmt(to) + ' of ' + fmt(n) + ' findings (page ' + (state.page + 1) + ' of ' + fmt(pages) + ')';
    $('kg-prev').disabled = state.page === 0;
    $('kg-next').disabled = state.page >= pages - 1;
    document.body.setAttribute('data-matching', String(n));
  }
  function read() {
    state.q = $('kg-q').value.trim().toLowerCase();
    SEV.forEach(function (s) { state.sev[s] = $('kg-sev-' + s).checked; });
    state.cat = $('kg-cat').value;
    state.ns = $('kg-ns').value;
    state.rule = $('kg-rule').value;
    state.onlyNew = $('kg-new') ? $('kg-new').checked : false;
    state.suppressed = $('kg-suppressed').checked;
    apply();
  }
  function fill(id, values, label) {
    var sel = $(id);
    values.forEach(function (v) {
      var opt = el('option', '', label ? label(v) : v);
      opt.value = v;
      sel.appendChild(opt);
    });
  }
  var cats = {}, nss = {}, rules = {};
  for (var i = 0; i < X.length; i++) {
    var f = X[i];
    cats[R[f[0]][3]] = 1;
    nss[O[f[1]][1]] = 1;
    rules[R[f[0]][0]] = 1;
  }
  fill('kg-cat', Object.keys(cats).sort());
  fill('kg-ns', Object.keys(nss).sort(), function (v) { return v || '(no namespace)'; });
  fill('kg-rule', Object.keys(rules).sort());
  var timer = null;
  $('kg-q').addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(read, 150); });
  $('kg-q').addEventListener('change', function () { clearTimeout(timer); read(); });
  ['kg-cat', 'kg-ns', 'kg-rule', 'kg-suppressed', 'kg-new'].concat(SEV.map(function (s) { return 'kg-sev-' + s; }))
    .forEach(function (id) { if ($(id)) { $(id).addEventListener('change', read); } });
  $('kg-prev').addEventListener('click', function () { state.page--; render(); });
  $('kg-next').addEventListener('click', function () { state.page++; render(); });
  // A category, namespace or rule named in the overview opens the list
  // filtered by it.
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('[data-filter]') : null;
    if (!a) { return; }
    var kind = a.getAttribute('data-filter'), v = a.getAttribute('data-value');
    var sel = $('kg-' + kind);
    if (sel) { sel.value = v; read(); }
  });
  read();
}
