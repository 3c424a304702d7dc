"""The HTML report in a real browser: headless Chromium (Debian's package, installed by
scripts/install-deps.sh) loads reports written by the real `deltascope` from disk (file://) and
the tests assert on the DOM the report's script builds, drive it with the keyboard, take
screenshots, and try to make hostile file names and plugin strings run script."""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import cdp  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.environ.get("DELTASCOPE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
SNAPSHOTS = os.path.join(ROOT, "examples", "snapshots")
CLERICAL = {"whitespace-change", "column-reorder", "row-reorder", "format-change", "key-order",
            "encoding-change", "comment-change", "file-move", "file-copy", "folder-move",
            "folder-rename"}

# JavaScript run in the page: the tree item of a path in the n-th changeset, and a click on
# each collapsed ancestor's row so that it is rendered.
HELPERS = r"""
window.t_item = (n, path) => Array.from(
    document.querySelectorAll('section.changeset')[n].querySelectorAll('li[role="treeitem"]'))
    .find(li => li.dataset.path === path) || null;
window.t_open = (n, path) => {
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const li = t_item(n, parts.slice(0, i).join('/'));
    if (li && li.getAttribute('aria-expanded') === 'false') li.querySelector(':scope > .row').click();
  }
  return t_item(n, path);
};
window.t_shown = n => Array.from(document.querySelectorAll('section.changeset')[n]
    .querySelectorAll('li[role="treeitem"]')).map(li => li.dataset.path);
"""


def deltascope(*args, cwd=None, ok=(0, 1)):
    r = subprocess.run([os.path.join(BIN_DIR, "deltascope"), *args], cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in ok, f"deltascope {args}: exit {r.returncode}\n{r.stderr}"
    return r


def expected_counts(changeset):
    """The report's counting rule, independently: leaves and containers with a summary; inside
    an added or removed container only moves and copies."""
    counts = {"substantive": 0, "clerical": 0, "other": 0}

    def walk(node, inside):
        children = node.get("children", [])
        if (not children or node.get("summary")) and (
                not inside or node.get("action") in ("move", "copy")):
            tags = node.get("tags", [])
            kind = "other" if not tags else (
                "clerical" if all(t in CLERICAL for t in tags) else "substantive")
            counts[kind] += 1
        for child in children:
            walk(child, inside or node.get("action") in ("add", "remove"))

    if changeset.get("root"):
        walk(changeset["root"], False)
    return counts


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    html, js = str(out / "report.html"), str(out / "changes.json")
    deltascope("diff", "2024-01", "2024-06", "2025-01", "-o", html, "-o", js, cwd=SNAPSHOTS)
    with open(js) as f:
        return html, json.load(f)


@pytest.fixture
def browser():
    with cdp.Chromium(width=1000, height=800) as b:
        yield b


def load(browser, path):
    browser.open(path)
    browser.evaluate(HELPERS)


def problems(browser):
    """Script errors, console errors, CSP reports and requests other than the file itself."""
    found = []
    for e in browser.drain_events():
        method, params = e["method"], e.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(params["exceptionDetails"])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(params["entry"]["text"])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning"):
            found.append(params["args"])
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith("file://") or not url.endswith(".html"):
                found.append("request: " + url)
    return found


def test_counts_match_the_changesets_and_nothing_is_fetched(example, browser):
    html, changesets = example
    load(browser, html)
    totals = {"substantive": 0, "clerical": 0, "other": 0}
    for n, cs in enumerate(changesets):
        c = expected_counts(cs)
        for k in totals:
            totals[k] += c[k]
        text = browser.evaluate(f"document.querySelectorAll('section.changeset')[{n}]"
                                ".querySelector('p.counts').textContent")
        all_ = sum(c.values())
        assert text.startswith(f"{all_} changes: {c['substantive']} substantive, "
                               f"{c['clerical']} clerical"), text
    labels = browser.evaluate("Array.from(document.querySelectorAll('.toolbar label'))"
                              ".map(l => l.textContent.trim())")
    assert f"all ({sum(totals.values())})" in labels, labels
    assert f"substantive ({totals['substantive']})" in labels, labels
    assert f"clerical ({totals['clerical']})" in labels, labels
    # Collapsed by default: only the top level is in the DOM.
    shown = browser.evaluate("t_shown(0)")
    assert shown == [c["path"] for c in changesets[0]["root"]["children"]], shown
    data = next(c for c in changesets[0]["root"]["children"] if c["path"] == "data")
    assert browser.evaluate("t_item(0, 'data').querySelector('.count').textContent") == \
        f"{sum(expected_counts({'root': data}).values())} changes"
    assert problems(browser) == []


def test_table_diff_highlights_changed_cells_and_added_rows(example, browser):
    html, changesets = example
    load(browser, html)
    data = next(c for c in changesets[0]["root"]["children"] if c["path"] == "data")
    trees = next(c for c in data["children"] if c["path"] == "data/trees.csv")
    assert browser.evaluate("t_open(0, 'data/trees.csv').getAttribute('aria-expanded')") == "true"
    cells = browser.evaluate("""Array.from(t_item(0, 'data/trees.csv')
        .querySelectorAll('table.cells td.cell-changed')).map(td => [
          td.querySelector('del.before').textContent, td.querySelector('ins.after').textContent,
          getComputedStyle(td).backgroundColor])""")
    want = [[e["before"], e["after"]] for e in trees["details"]["cells_changed_examples"]]
    assert [c[:2] for c in cells] == want
    assert all(c[2] == "rgb(255, 248, 197)" for c in cells), cells  # the highlight colour
    added = browser.evaluate("""Array.from(t_item(0, 'data/trees.csv')
        .querySelectorAll('table.rows tr.row-added')).map(tr =>
          Array.from(tr.cells).slice(1).map(td => td.textContent))""")
    assert added == trees["details"]["rows_added_examples"]
    header = browser.evaluate("""Array.from(t_item(0, 'data/trees.csv')
        .querySelectorAll('table.rows thead th')).slice(1).map(th => th.textContent)""")
    assert header == trees["details"]["columns"], header  # the rows' column names, not numbers
    # Text hunks, JSON paths and a move with its source.
    hunk = browser.evaluate("Array.from(t_open(0, 'config/export.ini')"
                            ".querySelectorAll('pre.hunks span')).map(s => s.className)")
    assert hunk[0] == "hunk-header" and "line-added" in hunk and "line-removed" in hunk, hunk
    paths = browser.evaluate("Array.from(t_open(0, 'data/metadata.json')"
                             ".querySelectorAll('table.json-paths td.mono')).map(t => t.textContent)")
    assert paths and all(p.startswith("$") for p in paths), paths
    move = browser.evaluate("t_open(0, 'archive/surveys/2023-survey.zip')"
                            ".querySelector('.source').textContent")
    assert move.startswith("from archive/"), move
    assert problems(browser) == []


def test_filters_show_only_their_kind(example, browser):
    html, _ = example
    load(browser, html)
    assert "README.md" in browser.evaluate("t_shown(0)")
    browser.evaluate("document.getElementById('filter-substantive').click()")
    shown = browser.evaluate("t_shown(0)")
    assert "README.md" not in shown and "data" in shown, shown
    browser.evaluate("void t_open(0, 'data/trees.csv')")
    kinds = browser.evaluate("Array.from(t_item(0, 'data').querySelectorAll('li[role=treeitem]'))"
                             ".map(li => li.dataset.kind)")
    assert kinds and set(kinds) == {"substantive"}, kinds
    browser.evaluate("document.getElementById('filter-clerical').click()")
    shown = browser.evaluate("t_shown(0)")
    assert "README.md" in shown and "docs" not in shown, shown
    assert browser.evaluate("t_item(0, 'data').querySelector('.count').textContent") == "1 change"
    assert problems(browser) == []


def test_keyboard_moves_expands_and_collapses(example, browser):
    html, _ = example
    load(browser, html)
    focused = "document.activeElement.dataset.path"
    browser.evaluate("document.querySelector('li[role=treeitem][tabindex=\"0\"]').focus()")
    assert browser.evaluate(focused) == "README.md"

    archive_open = "t_item(0, 'archive').getAttribute('aria-expanded')"
    steps = [("ArrowDown", focused, "archive"), ("ArrowRight", archive_open, "true"),
             ("ArrowRight", focused, "archive/surveys"), ("ArrowLeft", focused, "archive"),
             ("ArrowLeft", archive_open, "false"), ("Enter", archive_open, "true"),
             ("End", focused, "maps"), ("ArrowUp", focused, "docs"), ("Home", focused, "README.md")]
    for key, expression, expected in steps:
        browser.press(key, key_code=cdp.KEY_CODES[key])
        assert browser.evaluate(expression) == expected, (key, expression)
    # One tab stop per tree (roving tabindex), and the roles a screen reader needs.
    assert browser.evaluate("document.querySelectorAll('section.changeset')[0]"
                            ".querySelectorAll('[tabindex=\"0\"]').length") == 1
    assert browser.evaluate("document.querySelectorAll('[role=tree]').length") == 2
    assert browser.evaluate("t_item(0, 'archive/surveys').getAttribute('aria-level')") == "2"
    assert problems(browser) == []


def test_screenshot_is_not_blank(example, browser):
    html, _ = example
    load(browser, html)
    browser.evaluate("Array.from(document.querySelectorAll('button'))"
                     ".find(b => b.textContent === 'Expand all').click()")
    png = browser.screenshot()
    assert len(cdp.png_colours(png)) > 8  # text, badges, highlights: not one flat colour


def test_print_renders_everything_expanded(example, browser):
    html, changesets = example
    load(browser, html)

    def nodes(n):
        return 1 + sum(nodes(c) for c in n.get("children", []))

    want = sum(nodes(cs["root"]) - 1 for cs in changesets)  # the root folder is not an item
    browser.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert browser.evaluate("document.querySelectorAll('li[role=treeitem]').length") == want
    assert browser.evaluate("document.querySelectorAll('[aria-expanded=false]').length") == 0
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.evaluate("getComputedStyle(document.querySelector('.toolbar')).display") == "none"
    browser.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert browser.evaluate("document.querySelectorAll('[aria-expanded=true]').length") == 0


def test_a_hundred_thousand_changes_load_lazily(tmp_path, browser):
    files = [{"action": "add", "item_type": "text", "path": f"big/f{i:06}.txt",
              "summary": "New text (1 line)", "tags": ["file-addition"], "comparator": "text"}
             for i in range(100_000)]
    cs = {"from_snapshot": "a", "to_snapshot": "b",
          "root": {"action": "modify", "item_type": "directory", "path": "", "children": [
              {"action": "modify", "item_type": "directory", "path": "big", "children": files}]}}
    (tmp_path / "big.json").write_text(json.dumps(cs))
    html = str(tmp_path / "big.html")
    deltascope("changelog", str(tmp_path / "big.json"), "-o", html)
    assert os.path.getsize(html) < 20_000_000
    load(browser, html)
    assert browser.evaluate("document.querySelector('p.counts').textContent") == \
        "100000 changes: 100000 substantive"
    assert browser.evaluate("t_shown(0)") == ["big"]
    browser.evaluate("void t_open(0, 'big')")
    assert len(browser.evaluate("t_shown(0)")) == 1 + 200 + 1  # a page, then "Show more"
    browser.evaluate("document.querySelector('li.more > .row').click()")
    assert len(browser.evaluate("t_shown(0)")) == 1 + 400 + 1
    assert browser.evaluate("document.activeElement.dataset.path") == "big/f000200.txt"
    assert problems(browser) == []


# Each payload, if it ran, would set window.__xss or change the title (or leave an element).
ATTACKS = [
    "</script><script>window.__xss=1;document.title='XSS'</script>",
    "<img src=x onerror=\"window.__xss=2\">",
    "\"><svg onload=window.__xss=3>",
    "'><iframe srcdoc=\"<script>parent.__xss=4</script>\">",
    "<!--<script>window.__xss=5</script>-->",
    "javascript:window.__xss=6",
]
# File names cannot hold '/': these still try to open markup.
NAME_ATTACKS = ["<img src=x onerror=\"window.__xss=7\">.txt", "\"><svg onload=window.__xss=8>.txt",
                "<b onmouseover=window.__xss=9>bold.echo", "bell\x07\x1b[2J\u202egnp.txt"]


def hostile_changeset():
    """Every string field of the IR, details of every shape the report draws, and diagnostics,
    holding the attacks."""
    a = ATTACKS
    detail = {"cells_changed_examples": [{"key": a[0], "column": a[1], "before": a[2], "after": a[3]}],
              "key": [a[4]], "rows_added_examples": [[a[0], a[1]]], "rows_removed_examples": [[a[2]]],
              "hunks": [{"old_start": 1, "old_lines": 1, "new_start": 1, "new_lines": 1,
                         "removed": [a[0]], "added": [a[1]]}],
              "values_changed_examples": [{"path": "$." + a[1], "before": a[2], "after": a[3]}],
              "keys_added_examples": [{"path": "$['" + a[0] + "']", "after": a[4]}],
              "files": [a[2], a[3]], "file_count": 9,
              a[5]: a[0], a[1]: [a[2], {"nested": a[3]}], "flat": [{a[4]: a[0]}]}
    leaf = {"action": "modify", "item_type": a[3], "path": "dir" + a[2] + "/x" + a[0],
            "summary": a[1] + "\n# heading\x1b[2J", "comparator": a[4], "tags": [a[5]],
            "details": detail}
    moved = {"action": "move", "item_type": "file", "path": "dir" + a[2] + "/m",
             "source_path": a[0], "summary": "Moved", "tags": ["file-move"]}
    return {"from_snapshot": a[0], "to_snapshot": a[1],
            "root": {"action": "modify", "item_type": "directory", "path": "", "children": [
                {"action": "modify", "item_type": "directory", "path": "dir" + a[2],
                 "children": [moved, leaf]}]},
            "diagnostics": [{"severity": "error", "code": a[3], "message": a[0], "path": a[1]},
                            {"severity": a[2], "code": "x", "message": a[4], "path": ""}]}


def write_echo_manifest(folder, bin_dir):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "echo.plugin.yaml"), "w") as f:
        f.write("name: echo\nversion: 1.0\nprotocol: 1\n"
                f"command: {os.path.join(bin_dir, 'deltascope-echo-plugin')}\n"
                "env: {ECHO_MODE: summary}\ncomparators:\n  - name: echo\n    extensions: [.echo]\n"
                "limits: {startup_timeout: 10s, call_timeout: 10s, max_instances: 1}\n")


def assert_inert(browser, expected_title, texts):
    """Nothing the attacks hold ran or became markup, and their text is on the page."""
    browser.evaluate("Array.from(document.querySelectorAll('button'))"
                     ".find(b => b.textContent === 'Expand all').click()")
    browser.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # every detail rendered
    browser.evaluate("for (const r of document.querySelectorAll('.row')) "
                     "r.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))")
    assert browser.evaluate("window.__xss === undefined && !parent.__xss")
    assert browser.evaluate("document.title") == expected_title
    assert browser.evaluate("document.scripts.length") == 2
    assert browser.evaluate("document.querySelectorAll("
                            "'img, svg, iframe, object, embed, a, form, b, base, meta[http-equiv=refresh]')"
                            ".length") == 0
    handlers = browser.evaluate("Array.from(document.querySelectorAll('*')).flatMap(e => "
                                "Array.from(e.attributes).map(a => a.name))"
                                ".filter(n => n.startsWith('on'))")
    assert handlers == []
    body = browser.evaluate("document.body.textContent")
    for text in texts:
        assert text in body, text
    assert problems(browser) == []
    # The Content-Security-Policy forbids script the report did not bring.
    browser.evaluate("const s = document.createElement('script');"
                     "s.textContent = 'window.__xss = 10'; document.body.append(s);"
                     "const d = document.createElement('div');"
                     "d.innerHTML = '<img src=x onerror=\"window.__xss=11\">'; document.body.append(d)")
    browser.drain_events()
    assert browser.evaluate("window.__xss === undefined")


def test_hostile_plugin_strings_stay_text(tmp_path, browser):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile_changeset()))
    html = str(tmp_path / "hostile.html")
    deltascope("changelog", str(path), "-o", html, ok=(2,))  # 2: an error diagnostic
    with open(html) as f:
        page = f.read()
    assert page.count("</script>") == 2 and "<!--" not in page
    assert "Content-Security-Policy" in page and "script-src 'sha256-" in page
    load(browser, html)
    # Diagnostics in their own table, one row each, the unknown severity shown as such.
    assert browser.evaluate("Array.from(document.querySelectorAll('table.diagnostics tbody tr'))"
                            ".map(tr => [tr.className, tr.cells[3].textContent])") == \
        [["sev-error", ATTACKS[0]], ["sev-unspecified", ATTACKS[4]]]
    texts = ATTACKS[:5] + ["\\n# heading\\x1b[2J"]
    assert_inert(browser, f"Changelog: {ATTACKS[0]} → {ATTACKS[1]}", texts)


def test_hostile_file_names_and_plugin_summaries_stay_text(tmp_path, browser):
    old, new = tmp_path / "old", tmp_path / "new"
    os.makedirs(old)
    os.makedirs(new)
    for name in NAME_ATTACKS:
        (new / name).write_text(ATTACKS[1] + "\n")
    (old / "lines.txt").write_text("a\nb\n")
    (new / "lines.txt").write_text(ATTACKS[0] + "\n" + ATTACKS[2] + "\n")
    (old / NAME_ATTACKS[2]).write_text("old\n")
    (new / NAME_ATTACKS[2]).write_text(ATTACKS[0] + ATTACKS[3])
    write_echo_manifest(str(tmp_path / "plugins"), BIN_DIR)
    html = str(tmp_path / "names.html")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "xdg"), DELTASCOPE_PLUGIN_PATH="")
    r = subprocess.run([os.path.join(BIN_DIR, "deltascope"), "diff", "old", "new", "--plugin-dir",
                        str(tmp_path / "plugins"), "--jobs", "1", "-o", html, "-o", "json:-"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    summaries = [c.get("summary") for c in json.loads(r.stdout)["root"]["children"]]
    assert ATTACKS[0] + ATTACKS[3] in summaries, summaries  # the plugin did compare
    load(browser, html)
    texts = NAME_ATTACKS[:3] + ["bell\\x07\\x1b[2J\\u202egnp.txt", ATTACKS[0] + ATTACKS[3], ATTACKS[2]]
    assert_inert(browser, "Changelog: old → new", texts)


def test_a_file_pair_and_no_changes(tmp_path, browser):
    (tmp_path / "a.txt").write_text("one\ntwo\n")
    (tmp_path / "b.txt").write_text("one\n2\n")
    deltascope("diff", "a.txt", "b.txt", "-o", "pair.html", cwd=tmp_path)
    load(browser, str(tmp_path / "pair.html"))
    # The root itself is the change: one item, named after the new side, its lines inside.
    assert browser.evaluate("t_shown(0)") == [""]
    assert browser.evaluate("document.querySelector('li[role=treeitem] .name').textContent") == "b.txt"
    browser.evaluate("document.querySelector('li[role=treeitem] > .row').click()")
    assert browser.evaluate("Array.from(document.querySelectorAll('pre.hunks span'))"
                            ".map(s => s.textContent)") == ["@@ -2,1 +2,1 @@", "-two", "+2"]
    deltascope("diff", "a.txt", "a.txt", "-o", "same.html", cwd=tmp_path, ok=(0,))
    load(browser, str(tmp_path / "same.html"))
    assert browser.evaluate("document.querySelector('p.empty').textContent") == "No changes detected."
    assert browser.evaluate("document.querySelectorAll('li[role=treeitem]').length") == 0
    assert problems(browser) == []
