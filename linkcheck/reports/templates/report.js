/* linkcheck report: filters, sorting and paging over the embedded JSON.
   Every value from the report goes into the DOM through textContent; only http(s)
   URLs get an href. The CSP of the page allows this one script and nothing else.
   Columns of data.urls:    0 url, 1 outcome, 2 status, 3 final_url ("" = same),
     4 redirects [[url, status]], 5 elapsed_ms, 6 fresh (1/0/null), 7 issues, 8 referrers,
     9 error, 10 host, 11 from_cache, 12 anchor, 13 age_s, 14 freshness_lifetime_s,
     15 cacheable (false: the response forbids caching)
   Columns of data.records: 0 key, 1 source, 2 title, 3 health, 4 published, 5 unpublish,
     6 reasons, 7 archive_url, 8 links [[field, role, url, line, raw?]], 9 issues
     [[code, field, message]], 10 anchor
   Columns of data.hosts:   0 host, 1 urls, 2 requests, 3 failures, 4 slowest_ms, 5 avg_ms,
     6 rate_limited, 7 blocked, 8 limit_min, 9 limit_max (null: not known), 10 paused_s
   data.changes: {newly_broken, fixed, still_broken, flapping}: each a list of URL rows.
   A link "#records?outcome=broken&host=x" (a number in the summary, a chart's bar, a
   host's failures, a URL's referrers, a change list) opens a view with those filters:
   the rows behind the number. Parameters: scope, outcome (a name, or "failing"), role,
   health, host (exact when it names a host), text, change, url (a URL row's anchor). */
(function () {
  "use strict";
  var PAGE = 100;
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var U = D.urls, R = D.records, H = D.hosts, C = D.changes || {};
  var INVALID = D.outcomes.indexOf("invalid"), OK = D.outcomes.indexOf("ok");
  var failing = D.outcomes.map(function (o) { return D.failOn.indexOf(o) >= 0; });

  /* Derived per-row facts, computed once. */
  var urlRoles = new Int32Array(U.length), urlRefs = new Array(U.length);
  var recFail = new Int32Array(R.length), recOutcomes = new Int32Array(R.length);
  var hostOutcomes = new Int32Array(H.length);
  var recByAnchor = {}, urlByAnchor = {};
  U.forEach(function (u, i) { urlByAnchor[u[12]] = i; hostOutcomes[u[10]] |= 1 << u[1]; });
  R.forEach(function (r, ri) {
    recByAnchor[r[10]] = ri;
    r[8].forEach(function (l) {
      var o = linkOutcome(l);
      recOutcomes[ri] |= 1 << o;
      if (failing[o]) recFail[ri]++;
      if (l[2] >= 0) {
        urlRoles[l[2]] |= 1 << l[1];
        (urlRefs[l[2]] = urlRefs[l[2]] || []).push(ri);
      }
    });
  });
  var searchText = { records: null, urls: null, hosts: null };
  var hostNames = {};
  H.forEach(function (h) { hostNames[h[0].toLowerCase()] = true; });
  var changeSets = {};
  Object.keys(C).forEach(function (k) {
    var set = new Uint8Array(U.length);
    C[k].forEach(function (i) { set[i] = 1; });
    changeSets[k] = set;
  });

  function linkOutcome(l) { return l[2] >= 0 ? U[l[2]][1] : INVALID; }
  function linkUrl(l) { return l[2] >= 0 ? U[l[2]][0] : (l[4] || ""); }
  function why(u) {
    if (!u) return "not checked";
    if (u[9]) return u[9];
    if (u[2] !== null) return "HTTP " + u[2];
    return D.outcomes[u[1]];
  }

  /* DOM helpers: text only. */
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function badge(kind, text) {
    return el("span", text || String(kind).replace(/_/g, " "), "badge b-" + kind);
  }
  function urlNode(url, label) {
    if (/^https?:\/\//i.test(url)) {
      var a = el("a", label || url, "u");
      a.href = url;
      a.rel = "noopener noreferrer nofollow";
      return a;
    }
    return el("span", url, "u nolink");
  }
  function num(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("en"); }
  function ms(n) { return num(n) + " ms"; }

  /* State. */
  var $ = function (id) { return document.getElementById(id); };
  var state = { view: "records", page: 0, sort: null, rows: [], open: {}, url: -1 };
  var F = { scope: $("f-scope"), outcome: $("f-outcome"), role: $("f-role"),
            health: $("f-health"), host: $("f-host"), text: $("f-text"), change: $("f-change") };
  function fillSelect(sel, names) {
    names.forEach(function (n, i) { add(sel, (function () {
      var o = el("option", n.replace(/_/g, " ")); o.value = String(i); return o; })()); });
  }
  fillSelect(F.outcome, D.outcomes);
  F.outcome.appendChild((function () {
    var o = el("option", "failing (any)"); o.value = "failing"; return o; })());
  Object.keys(C).forEach(function (k) {
    var o = el("option", k.replace(/_/g, " ") + " (" + C[k].length + ")"); o.value = k;
    F.change.appendChild(o);
  });
  $("f-change-label").hidden = !Object.keys(C).length;
  fillSelect(F.role, D.roles);
  fillSelect(F.health, D.healths);
  H.forEach(function (h) { var o = el("option"); o.value = h[0]; $("host-list").appendChild(o); });

  function filters() {
    var o = F.outcome.value;
    return {
      all: F.scope.value === "all",
      flagged: F.scope.value === "flagged",
      outcome: o === "" || o === "failing" ? -1 : +o,
      failingOnly: o === "failing",
      role: F.role.value === "" ? -1 : +F.role.value,
      health: F.health.value === "" ? -1 : +F.health.value,
      host: F.host.value.trim().toLowerCase(),
      text: F.text.value.trim().toLowerCase(),
      change: F.change.value ? changeSets[F.change.value] : null,
      url: state.url
    };
  }
  /* A host typed in full (or followed from a link) matches that host only; any other
     text matches the hosts that contain it. */
  function hostMatch(hi, q) {
    if (!q) return true;
    var name = H[hi][0].toLowerCase();
    return hostNames[q] ? name === q : name.indexOf(q) >= 0;
  }
  function outcomeMatch(o, f) {
    return f.failingOnly ? failing[o] : f.outcome < 0 || o === f.outcome;
  }
  function texts(view) {
    if (searchText[view]) return searchText[view];
    var t;
    if (view === "records") t = R.map(function (r) {
      return [r[0], r[1], r[2] || "", r[6].join(" "),
        r[8].map(function (l) { return l[0] + " " + linkUrl(l) + " " + why(U[l[2]]); }).join(" "),
        r[9].map(function (i) { return i.join(" "); }).join(" ")].join("\n").toLowerCase();
    });
    else if (view === "urls") t = U.map(function (u) {
      return [u[0], u[3], u[9] || "", u[7].join(" "), u[2]].join("\n").toLowerCase();
    });
    else t = H.map(function (h) { return h[0].toLowerCase(); });
    return (searchText[view] = t);
  }

  var VIEWS = {
    records: {
      count: function () { return R.length; },
      keep: function (i, f) {
        var r = R[i];
        if (f.flagged && !r[5]) return false;
        if (!f.all && r[3] === 0 && !r[5]) return false;
        if (f.health >= 0 && r[3] !== f.health) return false;
        if (f.outcome >= 0 || f.failingOnly || f.role >= 0 || f.host || f.change || f.url >= 0) {
          var hit = r[8].some(function (l) {
            if (!outcomeMatch(linkOutcome(l), f)) return false;
            if (f.role >= 0 && l[1] !== f.role) return false;
            if (f.host && (l[2] < 0 || !hostMatch(U[l[2]][10], f.host))) return false;
            if (f.change && (l[2] < 0 || !f.change[l[2]])) return false;
            if (f.url >= 0 && l[2] !== f.url) return false;
            return true;
          });
          if (!hit) return false;
        }
        return true;
      },
      cols: [
        { label: "Record", key: function (i) { return (R[i][2] || "").toLowerCase(); } },
        { label: "Health", key: function (i) { return R[i][3]; }, desc: true },
        { label: "Failing links", key: function (i) { return recFail[i]; }, desc: true },
        { label: "Issues", key: function (i) { return R[i][9].length; }, desc: true },
        { label: "Unpublish", key: function (i) { return R[i][5]; }, desc: true }
      ],
      order: function (a, b) {
        return (R[b][5] - R[a][5]) || (R[b][3] - R[a][3]) || (recFail[b] - recFail[a]) || a - b;
      },
      row: recordRow
    },
    urls: {
      count: function () { return U.length; },
      keep: function (i, f) {
        var u = U[i];
        if (f.url >= 0) return i === f.url;
        if (f.flagged) {
          if (!(urlRefs[i] || []).some(function (ri) { return R[ri][5]; })) return false;
        } else if (!f.all && u[1] === OK && !u[7].length) return false;
        if (!outcomeMatch(u[1], f)) return false;
        if (f.change && !f.change[i]) return false;
        if (f.role >= 0 && !(urlRoles[i] & (1 << f.role))) return false;
        if (f.host && !hostMatch(u[10], f.host)) return false;
        if (f.health >= 0 && !(urlRefs[i] || []).some(function (ri) {
          return R[ri][3] === f.health; })) return false;
        return true;
      },
      cols: [
        { label: "URL", key: function (i) { return U[i][0]; } },
        { label: "Outcome", key: function (i) { return U[i][1]; } },
        { label: "Status", key: function (i) { return U[i][2] === null ? -1 : U[i][2]; } },
        { label: "Why", key: function (i) { return (U[i][9] || "").toLowerCase(); } },
        { label: "Time", key: function (i) { return U[i][5]; }, desc: true, num: true },
        { label: "Cache", key: function (i) { return U[i][6] === null ? -1 : U[i][6]; } },
        { label: "Referrers", key: function (i) { return U[i][8]; }, desc: true, num: true }
      ],
      order: function (a, b) {
        return (failing[U[b][1]] - failing[U[a][1]]) || (U[b][8] - U[a][8]) || a - b;
      },
      row: urlRow
    },
    hosts: {
      count: function () { return H.length; },
      keep: function (i, f) {
        var h = H[i];
        if (!f.all && !h[3] && !h[6] && !h[7] && !slowed(h)) return false;
        if (f.outcome >= 0 && !(hostOutcomes[i] & (1 << f.outcome))) return false;
        if (f.failingOnly && !h[3]) return false;
        return hostMatch(i, f.host);
      },
      cols: [
        { label: "Host", key: function (i) { return H[i][0]; } },
        { label: "URLs", key: function (i) { return H[i][1]; }, desc: true, num: true },
        { label: "Requests", key: function (i) { return H[i][2]; }, desc: true, num: true },
        { label: "Failures", key: function (i) { return H[i][3]; }, desc: true, num: true },
        { label: "Slowest", key: function (i) { return H[i][4]; }, desc: true, num: true },
        { label: "Average", key: function (i) { return H[i][5]; }, desc: true, num: true },
        { label: "Rate-limited", key: function (i) { return H[i][6]; }, desc: true, num: true },
        { label: "Blocked", key: function (i) { return H[i][7]; }, desc: true, num: true },
        { label: "Limit", key: function (i) { return H[i][8]; }, num: true },
        { label: "Paused", key: function (i) { return H[i][10]; }, desc: true, num: true }
      ],
      order: function (a, b) { return a - b; },
      row: hostRow
    }
  };

  function compute() {
    var v = VIEWS[state.view], f = filters(), rows = [], n = v.count();
    var t = f.text ? texts(state.view) : null;
    for (var i = 0; i < n; i++) {
      if (t && t[i].indexOf(f.text) < 0) continue;
      if (v.keep(i, f)) rows.push(i);
    }
    if (state.sort) {
      var col = v.cols[state.sort.col], dir = state.sort.dir, keys = new Array(n);
      rows.forEach(function (i) { keys[i] = col.key(i); });
      rows.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        return (x < y ? -dir : x > y ? dir : 0) || a - b;
      });
    } else {
      rows.sort(v.order);
    }
    state.rows = rows;
  }

  function render() {
    var v = VIEWS[state.view], rows = state.rows;
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * PAGE, end = Math.min(rows.length, start + PAGE);
    var table = el("table", null, "grid " + state.view);
    var head = table.appendChild(el("thead")).appendChild(el("tr"));
    v.cols.forEach(function (c, ci) {
      var th = el("th"); th.scope = "col";
      if (c.num) th.className = "n";
      var b = el("button", c.label, "sort"); b.type = "button"; b.dataset.col = String(ci);
      if (state.sort && state.sort.col === ci) {
        th.setAttribute("aria-sort", state.sort.dir > 0 ? "ascending" : "descending");
      }
      head.appendChild(add(th, b));
    });
    var body = table.appendChild(el("tbody"));
    for (var k = start; k < end; k++) v.row(body, rows[k]);
    var box = $("table");
    box.textContent = "";
    box.appendChild(table);
    var total = v.count();
    $("status").textContent = rows.length
      ? "Showing " + num(start + 1) + "–" + num(end) + " of " + num(rows.length) + " " +
        state.view + (rows.length < total ? " (" + num(total) + " in all)" : "")
      : "Nothing matches these filters (" + num(total) + " " + state.view + " in all).";
    $("page").textContent = "Page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    F.role.disabled = F.health.disabled = state.view === "hosts";
  }

  function toggle(td, key, fill, tr, span) {
    var b = el("button", "details", "toggle"); b.type = "button";
    b.setAttribute("aria-expanded", "false");
    b.addEventListener("click", function () { openDetail(tr, key, fill, span, b); });
    td.appendChild(b);
    if (state.open[key]) openDetail(tr, key, fill, span, b);
  }
  function openDetail(tr, key, fill, span, b) {
    var next = tr.nextSibling;
    if (next && next.classList && next.classList.contains("detail")) {
      next.remove(); delete state.open[key]; b.setAttribute("aria-expanded", "false"); return;
    }
    var d = el("tr", null, "detail"), td = el("td");
    td.colSpan = span;
    fill(td);
    d.appendChild(td);
    tr.parentNode.insertBefore(d, tr.nextSibling);
    state.open[key] = true;
    b.setAttribute("aria-expanded", "true");
  }

  /* Each cell names its column: on a narrow screen a row is a card of labelled cells. */
  function labelled(tr, cols) {
    for (var c = 1; c < tr.children.length && c < cols.length; c++) {
      tr.children[c].dataset.label = cols[c].label;
    }
  }
  /* A number that opens the rows behind it: ``params`` become the filters of ``view``. */
  function jump(text, view, params, title) {
    var a = el("a", text, "count");
    a.href = "#" + view + "?" + Object.keys(params).map(function (k) {
      return k + "=" + encodeURIComponent(params[k]);
    }).join("&");
    if (title) a.title = title;
    return a;
  }

  function recordRow(body, i) {
    var r = R[i], tr = el("tr");
    tr.id = r[10];
    var th = el("th"); th.scope = "row";
    var a = el("a", r[2] || "(untitled)", "rt"); a.href = "#" + r[10];
    add(th, a, el("br"), el("code", r[1]));
    if (r[0] !== r[1]) add(th, " ", el("span", r[0], "muted small"));
    if (r[4] === false) add(th, " ", badge("excluded", "unpublished"));
    var links = el("td"), fo = F.outcome.value === "" ? -1 : +F.outcome.value;
    r[8].forEach(function (l) {
      var o = linkOutcome(l);
      if ((o === OK || D.outcomes[o] === "excluded") && o !== fo) return;
      add(links, linkLine(l, o));
    });
    if (!links.firstChild) links.textContent = "—";
    var issues = el("td");
    r[9].forEach(function (x) {
      if (x[0] === "broken_link") return;  /* already listed under failing links */
      add(issues, add(el("div"), el("span", x[0], "code"), " ",
        x[1] ? el("code", x[1]) : null, x[1] ? " " : null, x[2]));
    });
    if (!issues.firstChild) issues.textContent = "—";
    var un = el("td");
    if (r[5]) {
      add(un, badge("broken", "unpublish"));
      r[6].forEach(function (reason) { add(un, el("div", reason, "small")); });
      if (r[7]) add(un, add(el("div", null, "small"), urlNode(r[7], "Archived copy ↗")));
    } else un.textContent = "—";
    add(tr, th, add(el("td"), badge(D.healths[r[3]])), links, issues, un);
    labelled(tr, VIEWS.records.cols);
    body.appendChild(tr);
    toggle(th, r[10], function (td) {
      var ul = el("ul");
      r[8].forEach(function (l) { add(ul, add(el("li"), linkLine(l, linkOutcome(l)))); });
      add(td, el("strong", "All " + r[8].length + " links"), ul);
    }, tr, 5);
  }
  function linkLine(l, o) {
    var d = el("div", null, "fl"), u = l[2] >= 0 ? U[l[2]] : null;
    add(d, badge(D.outcomes[o]), " ", el("span", D.roles[l[1]], "role"), " ", el("code", l[0]));
    if (l[3]) add(d, el("span", " line " + l[3], "muted"));
    add(d, el("br"), urlNode(linkUrl(l)));
    if (u) { var ua = el("a", "URL details", "small jump"); ua.href = "#" + u[12]; add(d, " ", ua); }
    if (o !== OK) add(d, el("br"), el("span", why(u), "why"));
    return d;
  }

  function urlRow(body, i) {
    var u = U[i], tr = el("tr");
    tr.id = u[12];
    var th = el("th"); th.scope = "row";
    add(th, urlNode(u[0]));
    if (u[3]) add(th, el("div", "→ " + u[3], "small muted u"));
    var cache = u[15] === false ? "not cacheable" : u[6] === null ? "unknown" :
      u[6] ? "fresh" : "stale";
    var issues = el("td", u[9] || (u[2] !== null && u[1] !== OK ? "HTTP " + u[2] : ""));
    u[7].forEach(function (c) { add(issues, " ", el("span", c, "code")); });
    var refs = el("td", null, "n");
    add(refs, u[8] ? jump(num(u[8]), "records", { url: u[12] }, "the records that link here")
      : num(u[8]));
    add(tr, th, add(el("td"), badge(D.outcomes[u[1]])), el("td", u[2] === null ? "—" : u[2]),
      issues, el("td", ms(u[5]), "n"),
      el("td", cache + (u[11] ? " · from history" : ""), "small"), refs);
    labelled(tr, VIEWS.urls.cols);
    body.appendChild(tr);
    toggle(th, u[12], function (td) {
      if (u[4].length) {
        var ol = el("ol");
        u[4].forEach(function (h) { add(ol, add(el("li"), h[1] + " ", urlNode(h[0] || ""))); });
        add(ol, add(el("li"), "final ", urlNode(u[3] || u[0])));
        add(td, el("strong", "Redirects"), ol);
      }
      add(td, el("div", "Cache: " + cache + "; age " + num(u[13]) + " s of a " +
        num(u[14]) + " s lifetime" + "; host " + H[u[10]][0], "small"));
      var refs = urlRefs[i] || [], ul = el("ul");
      refs.slice(0, 100).forEach(function (ri) {
        var a = el("a", R[ri][2] || R[ri][1]); a.href = "#" + R[ri][10];
        add(ul, add(el("li"), a, " ", el("code", R[ri][1])));
      });
      if (refs.length > 100) add(ul, el("li", (refs.length - 100) + " more", "muted"));
      add(td, el("strong", "Referring records (" + refs.length + ")"), ul);
    }, tr, 7);
  }

  function hostRow(body, i) {
    var h = H[i], tr = el("tr"), th = el("th", h[0]);
    th.scope = "row";
    function cell(n, view, params, title) {
      return add(el("td", null, "n"), n ? jump(num(n), view, params, title) : num(n));
    }
    add(tr, th,
      cell(h[1], "urls", { host: h[0], scope: "all" }, "this host's URLs"),
      el("td", num(h[2]), "n"),
      cell(h[3], "records", { host: h[0], outcome: "failing" },
        "the records with a failing link to this host"),
      el("td", ms(h[4]), "n"), el("td", ms(h[5]), "n"),
      cell(h[6], "records", { host: h[0], outcome: "rate_limited" },
        "the records with a rate-limited link to this host"),
      cell(h[7], "records", { host: h[0], outcome: "blocked" },
        "the records with a link to this host behind a bot wall"),
      el("td", limits(h), "n"), el("td", h[10] ? h[10] + " s" : "", "n"));
    labelled(tr, VIEWS.hosts.cols);
    body.appendChild(tr);
  }
  /* The host's requests in flight over the run: "8", or "2-8" when the engine lowered it. */
  function limits(h) {
    if (h[8] === null || h[8] === undefined) return "";
    return h[8] === h[9] ? String(h[9]) : h[8] + "-" + h[9];
  }
  function slowed(h) { return h[10] > 0 || (h[8] !== null && h[8] < h[9]); }

  /* CSV of every row the current view and filters show (all pages, in their order).
     A cell a spreadsheet would run as a formula gets a leading "'". */
  var CSV = {
    records: [["record", "source", "title", "health", "published", "unpublish",
      "unpublish_reasons", "failing_links", "issues"], function (i) {
      var r = R[i];
      return [r[0], r[1], r[2] || "", D.healths[r[3]], r[4] === null ? "" : String(r[4]),
        r[5] ? "yes" : "no", r[6].join(" | "), recFail[i],
        r[9].map(function (x) { return x[0]; }).join(" ")];
    }],
    urls: [["url", "outcome", "status", "error", "issues", "final_url", "elapsed_ms",
      "referrers"], function (i) {
      var u = U[i];
      return [u[0], D.outcomes[u[1]], u[2] === null ? "" : u[2], u[9] || "", u[7].join(" "),
        u[3] || u[0], u[5], u[8]];
    }],
    hosts: [["host", "urls", "requests", "failures", "slowest_ms", "avg_ms", "rate_limited",
      "blocked"], function (i) { return H[i].slice(0, 8); }]
  };
  function csvCell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function exportCsv() {
    var spec = CSV[state.view], lines = [spec[0].join(",")];
    state.rows.forEach(function (i) { lines.push(spec[1](i).map(csvCell).join(",")); });
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv" });
    var a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = "linkcheck-" + state.view + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }

  function refresh(keepPage) {
    if (!keepPage) state.page = 0;
    compute();
    render();
  }
  function setView(view) {
    state.view = view; state.sort = null;
    document.querySelectorAll(".tabs button").forEach(function (b) {
      b.setAttribute("aria-selected", b.dataset.view === view ? "true" : "false");
    });
  }

  /* "#records?outcome=broken&host=x": open the view with those filters (the rows behind a
     number that links here). Returns false for any other fragment. */
  function applyQuery(hash) {
    var m = /^(records|urls|hosts)\?(.*)$/.exec(hash);
    if (!m) return false;
    var p = new URLSearchParams(m[2]);
    setView(m[1]);
    F.scope.value = p.get("scope") || "all";
    F.outcome.value = p.get("outcome") === "failing" ? "failing" : named(D.outcomes, p.get("outcome"));
    F.role.value = named(D.roles, p.get("role"));
    F.health.value = named(D.healths, p.get("health"));
    F.host.value = p.get("host") || "";
    F.text.value = p.get("text") || "";
    F.change.value = p.get("change") && C[p.get("change")] ? p.get("change") : "";
    var u = p.get("url");
    setUrl(u && u in urlByAnchor ? urlByAnchor[u] : -1);
    state.open = {};
    refresh(false);
    $("app").scrollIntoView({ block: "start" });
    return true;
  }
  function named(names, name) {
    var i = name ? names.indexOf(name) : -1;
    return i < 0 ? "" : String(i);
  }
  function setUrl(index) {
    state.url = index;
    $("f-url").hidden = index < 0;
    $("f-url-text").textContent = index < 0 ? "" : U[index][0];
  }

  function showAnchor() {
    var hash = location.hash.slice(1);
    try { hash = decodeURIComponent(hash); } catch (e) { return false; }
    if (applyQuery(hash)) return true;
    var id = hash, view, index;
    if (id in recByAnchor) { view = "records"; index = recByAnchor[id]; }
    else if (id in urlByAnchor) { view = "urls"; index = urlByAnchor[id]; }
    else return false;
    setView(view);
    F.scope.value = "all";
    ["outcome", "role", "health", "host", "text", "change"].forEach(function (k) { F[k].value = ""; });
    setUrl(-1);
    state.open = {}; state.open[id] = true;
    compute();
    state.page = Math.floor(state.rows.indexOf(index) / PAGE);
    render();
    var tr = document.getElementById(id);
    if (tr) { tr.classList.add("target"); tr.scrollIntoView({ block: "center" }); }
    return true;
  }

  var timer = null;
  Object.keys(F).forEach(function (k) {
    F[k].addEventListener(k === "text" || k === "host" ? "input" : "change", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { refresh(false); }, k === "text" || k === "host" ? 120 : 0);
    });
  });
  document.querySelector(".tabs").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-view]");
    if (b) { setView(b.dataset.view); refresh(false); }
  });
  $("table").addEventListener("click", function (e) {
    var b = e.target.closest("button.sort");
    if (!b) return;
    var col = +b.dataset.col, c = VIEWS[state.view].cols[col];
    var dir = state.sort && state.sort.col === col ? -state.sort.dir : (c.desc ? -1 : 1);
    state.sort = { col: col, dir: dir };
    refresh(false);
  });
  $("export").addEventListener("click", exportCsv);
  $("f-url-clear").addEventListener("click", function () { setUrl(-1); refresh(false); });
  $("prev").addEventListener("click", function () { state.page--; render(); });
  $("next").addEventListener("click", function () { state.page++; render(); });
  window.addEventListener("hashchange", showAnchor);
  /* Following the same link again changes no hash: apply it anyway. */
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href^='#']");
    if (a && a.getAttribute("href") === location.hash) { e.preventDefault(); showAnchor(); }
  });

  $("ssr").remove();
  $("app").hidden = false;
  if (!showAnchor()) refresh(false);
  document.documentElement.dataset.ready = "1";
})();
