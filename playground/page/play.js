// The mmapsim playground: an editor, the examples, and the step-by-step
// pictures of a run. The simulator is mmapsim itself, compiled to
// WebAssembly (cmd/mmapplay), which sets window.mmapsim: run(request) and
// examples() and choices(), each taking and returning JSON text.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = { examples: [], resp: null, cur: 0, timer: 0 };
  var LINE = 16; // px: the editor's line height (play.css)

  function status(text, cls) {
    var s = $("status");
    s.textContent = text;
    s.className = cls || "";
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The program is inline (base64 of its gzip), not fetched, so the page
  // also works from the file system.
  function loadProgram() {
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser has no DecompressionStream: use a recent Chromium, Firefox or Safari"));
    }
    var text = $("wasm").textContent.replace(/\s+/g, "");
    var bin = atob(text);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var ready = new Promise(function (resolve) { window.mmapsimReady = resolve; });
    return new Response(stream).arrayBuffer().then(function (wasm) {
      var go = new Go();
      return WebAssembly.instantiate(wasm, go.importObject).then(function (r) {
        go.run(r.instance).then(function () {
          status("the simulator stopped: reload the page", "error");
        });
        return ready;
      });
    });
  }

  function call(name, arg) {
    var out = JSON.parse(arg === undefined ? window.mmapsim[name]() : window.mmapsim[name](JSON.stringify(arg)));
    if (out && out.internalError) throw new Error("mmapsim: " + out.internalError);
    return out;
  }

  function fillSelect(sel, choices) {
    choices.forEach(function (c) {
      var o = el("option", "", c.name);
      o.value = c.name;
      o.title = c.description;
      sel.appendChild(o);
    });
  }

  function init() {
    state.examples = call("examples");
    var ex = $("example");
    state.examples.forEach(function (e, i) {
      var o = el("option", "", e.name.replace(/\.scn$/, "") + (e.title ? ": " + e.title.replace(/^Lesson \d+: /, "") : ""));
      o.value = String(i);
      ex.appendChild(o);
    });
    var custom = el("option", "", "(your own)");
    custom.value = "";
    custom.disabled = true;
    ex.appendChild(custom);
    var ch = call("choices");
    fillSelect($("host"), ch.hosts);
    fillSelect($("target"), ch.targets);
    fillSelect($("policy"), ch.policies);

    ex.addEventListener("change", function () { if (ex.value !== "") pickExample(+ex.value); });
    ["host", "target", "policy"].forEach(function (id) {
      $(id).addEventListener("change", function () { run(); $("steps").focus(); });
    });
    $("run").addEventListener("click", function () { run(); });
    $("prev").addEventListener("click", function () { show(state.cur - 1, true); });
    $("next").addEventListener("click", function () { show(state.cur + 1, true); });
    var src = $("source");
    src.addEventListener("input", function () {
      ex.value = "";
      clearTimeout(state.timer);
      state.timer = setTimeout(run, 300);
      drawGutter();
    });
    src.addEventListener("scroll", function () { $("gutter").scrollTop = src.scrollTop; });
    document.addEventListener("keydown", onKey);

    var want = decodeURIComponent(location.hash.replace(/^#/, ""));
    var first = 0;
    state.examples.forEach(function (e, i) {
      if (e.name === want || e.name === want + ".scn") first = i;
    });
    if (want === "" && state.examples.length > 4) first = 4; // 04-prot-union: a 64K host page
    pickExample(first);
    status("ready: edit the scenario, or pick an example");
    document.documentElement.setAttribute("data-ready", "1");
  }

  function pickExample(i) {
    $("example").value = String(i);
    $("source").value = state.examples[i].source;
    $("source").scrollTop = 0;
    state.cur = 0;
    run();
    $("steps").focus();
  }

  function request() {
    var i = $("example").value;
    return {
      name: i === "" ? "scenario.scn" : state.examples[+i].name,
      source: $("source").value,
      host: $("host").value,
      target: $("target").value,
      policy: $("policy").value
    };
  }

  function run() {
    clearTimeout(state.timer);
    var resp;
    try {
      resp = call("run", request());
    } catch (e) {
      status(String(e.message || e), "error");
      throw e;
    }
    resp.steps = resp.steps || [];
    resp.problems = resp.problems || [];
    state.resp = resp;
    drawProblems();
    drawSteps();
    $("machine").textContent = resp.machine || "";
    $("summary").textContent = resp.summary || "";
    var errs = resp.problems.filter(function (p) { return p.kind === "error"; }).length;
    var fails = resp.problems.length - errs;
    if (errs) status(errs + (errs === 1 ? " error" : " errors"), "error");
    else if (fails) status(fails + " failed expectation" + (fails === 1 ? "" : "s"), "error");
    else status(resp.steps.length - 1 + " steps, every expectation holds");
    show(Math.min(state.cur, Math.max(resp.steps.length - 1, 0)), false);
  }

  // The gutter: line numbers, the current step's line, and the lines with
  // a problem (their message as a tooltip).
  function drawGutter() {
    var n = $("source").value.split("\n").length;
    var marks = {};
    if (state.resp) {
      state.resp.problems.forEach(function (p) {
        if (p.line > 0 && marks[p.line] !== "error") marks[p.line] = p.kind;
      });
    }
    var curLine = 0;
    if (state.resp && state.resp.steps[state.cur]) curLine = state.resp.steps[state.cur].line;
    var g = $("gutter");
    g.textContent = "";
    for (var i = 1; i <= n + 1; i++) {
      var d = el("div", marks[i] || (i === curLine ? "cur" : ""), i <= n ? String(i) : "");
      d.setAttribute("data-line", String(i));
      if (marks[i]) d.title = messagesAt(i);
      g.appendChild(d);
    }
    g.scrollTop = $("source").scrollTop;
  }

  function messagesAt(line) {
    return state.resp.problems.filter(function (p) { return p.line === line; })
      .map(function (p) { return p.msg; }).join("\n");
  }

  function drawProblems() {
    var ul = $("problems");
    ul.textContent = "";
    state.resp.problems.forEach(function (p) {
      var li = el("li", p.kind, (p.line > 0 ? "line " + p.line + ": " : "") + p.msg);
      li.setAttribute("data-line", String(p.line));
      if (p.line > 0) li.addEventListener("click", function () { selectLine(p.line); });
      ul.appendChild(li);
    });
  }

  // selectLine selects a line of the editor and scrolls to it.
  function selectLine(line) {
    var src = $("source");
    var lines = src.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    src.focus();
    src.setSelectionRange(start, start + (lines[line - 1] || "").length);
    revealLine(line);
  }

  function revealLine(line) {
    var src = $("source");
    var top = (line - 1) * LINE, h = src.clientHeight;
    if (top < src.scrollTop || top > src.scrollTop + h - 2 * LINE) src.scrollTop = Math.max(0, top - h / 3);
    $("gutter").scrollTop = src.scrollTop;
  }

  function drawSteps() {
    var ol = $("steps");
    ol.textContent = "";
    state.resp.steps.forEach(function (s, i) {
      var text = s.line ? "line " + s.line + "  " + s.stmt + "  = " + s.result : "start: " + (state.resp.machine || "");
      var li = el("li", s.failed ? "failure" : "", text);
      li.addEventListener("click", function () { show(i, true); });
      ol.appendChild(li);
    });
  }

  // show makes step i the current one: its lesson, statement, result,
  // host calls and picture.
  function show(i, reveal) {
    var steps = state.resp ? state.resp.steps : [];
    if (steps.length === 0) {
      state.cur = 0;
      $("step").textContent = "";
      $("pos").textContent = "no steps";
      drawGutter();
      return;
    }
    if (i < 0 || i >= steps.length) return;
    state.cur = i;
    var items = $("steps").children;
    for (var j = 0; j < items.length; j++) {
      items[j].className = (j === i ? "cur" : "") + (steps[j].failed ? " failure" : "");
    }
    if (items[i]) items[i].scrollIntoView({ block: "nearest" });
    $("pos").textContent = "step " + i + " / " + (steps.length - 1);
    var s = steps[i];
    var box = $("step");
    box.textContent = "";
    box.setAttribute("data-step", String(i));
    if (s.lesson && s.lesson.length) {
      var ls = el("div", "lesson");
      s.lesson.forEach(function (p) { ls.appendChild(el("p", "", p)); });
      box.appendChild(ls);
    }
    var pre = el("pre");
    if (s.line) {
      pre.appendChild(el("b", "", "line " + s.line + "  "));
      pre.appendChild(document.createTextNode(s.stmt + "\n"));
      pre.appendChild(el("span", "res", "= " + s.result));
      if (s.failed) pre.appendChild(el("span", "failed", "\n" + s.failed));
    } else {
      pre.appendChild(el("b", "", "start"));
      pre.appendChild(document.createTextNode("  " + (state.resp.machine || "")));
    }
    box.appendChild(pre);
    if (s.host && s.host.length) {
      box.appendChild(el("pre", "host", s.host.map(function (c) { return "host: " + c; }).join("\n")));
    }
    var pic = el("div", "picture");
    pic.innerHTML = s.svg; // mmapsim's own SVG, every text in it escaped (picture/html.go)
    box.appendChild(pic);
    fitPicture(pic.querySelector("svg"));
    drawGutter();
    if (reveal && s.line) revealLine(s.line);
  }

  // fitPicture trims the room the picture keeps at its right for notes
  // (file names) to what its text needs, so it is drawn larger.
  function fitPicture(svg) {
    if (!svg || !svg.getBBox) return;
    var bb = svg.getBBox();
    var w = Math.ceil(bb.x + bb.width + 8), h = +svg.getAttribute("height");
    if (!(w > 0) || !(h > 0) || w >= +svg.getAttribute("width")) return;
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("width", String(w));
  }

  function onKey(e) {
    var t = e.target && e.target.tagName;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { run(); e.preventDefault(); return; }
    if (t === "TEXTAREA" || t === "SELECT" || t === "INPUT") return;
    if (t === "BUTTON" && (e.key === " " || e.key === "Enter")) return; // the button's own click
    if (!state.resp) return;
    var last = state.resp.steps.length - 1;
    switch (e.key) {
      case "ArrowRight": case "ArrowDown": case "j": case " ": show(state.cur + 1, true); break;
      case "ArrowLeft": case "ArrowUp": case "k": show(state.cur - 1, true); break;
      case "Home": show(0, true); break;
      case "End": show(last, true); break;
      default: return;
    }
    e.preventDefault();
  }

  loadProgram().then(init, function (err) {
    status("cannot start the simulator: " + (err && err.message || err), "error");
    console.error(err);
  });
})();
