// The HTML report's script (embedded by daemon/render/report/embed.cmake; the page's
// Content-Security-Policy allows it, by hash, and nothing else). It reads the changesets from the
// JSON block and builds the page with DOM calls: every string from the data goes into a text
// node (textContent), never through an HTML parser, so file names and plugin strings stay text.
// The tree starts collapsed and renders children on demand, a page at a time.
(function () {
  'use strict';

  const PAGE = 200;  // children rendered at a time ("Show more" renders the next page)
  const ACTIONS = {add: 'added', remove: 'removed', modify: 'modified', move: 'moved',
    copy: 'copied', reorder: 'reordered'};
  const KINDS = ['substantive', 'clerical', 'other'];
  // Control, bidi and line-separator characters: shown as escapes, never raw (as in Markdown).
  const INVISIBLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

  const data = JSON.parse(document.getElementById('deltascope-data').textContent);
  const CLERICAL = new Set(data.clerical_tags);
  const state = {filter: 'all', expanded: new Set(), printing: false, nextId: 0};
  const sections = [];

  // ---- Text and elements -------------------------------------------------------------------

  function visible(s) {
    return String(s).replace(INVISIBLE, function (c) {
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      const code = c.charCodeAt(0);
      return code < 0x100 ? '\\x' + code.toString(16).padStart(2, '0')
                          : '\\u' + code.toString(16).padStart(4, '0');
    });
  }

  function show(value) {
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = visible(text);
    return e;
  }

  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function list(v) { return Array.isArray(v) ? v : []; }
  function isScalar(v) { return v === null || typeof v !== 'object'; }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  function words(key) { return key.replace(/_/g, ' '); }
  function label(s) { return s ? s : '(snapshot)'; }

  function table(headers) {
    const t = el('table');
    const tr = t.createTHead().insertRow();
    for (const h of headers) {
      const th = el('th', null, h);
      th.scope = 'col';
      tr.append(th);
    }
    t.createTBody();
    return t;
  }

  // ---- The model: kinds and counts ---------------------------------------------------------

  function kindOf(node) {
    const tags = list(node.tags);
    if (!tags.length) return 'other';
    return tags.every(function (t) { return CLERICAL.has(t); }) ? 'clerical' : 'substantive';
  }

  function isAddOrRemove(node) { return node.action === 'add' || node.action === 'remove'; }

  // A change is counted as the Markdown changelog lists it: leaves, and containers with a
  // summary of their own; inside an added or removed container only moves and copies.
  function prepare(root) {
    const order = [];
    const stack = [[root, null, false]];
    while (stack.length) {
      const [node, parent, inside] = stack.pop();
      const children = list(node.children);
      node.$parent = parent;
      node.$kind = kindOf(node);
      node.$counted = (!children.length || !!node.summary) &&
          (!inside || node.action === 'move' || node.action === 'copy');
      node.$c = {all: 0, substantive: 0, clerical: 0, other: 0};
      order.push(node);
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push([children[i], node, inside || isAddOrRemove(node)]);
      }
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i];
      if (n.$counted) { n.$c.all++; n.$c[n.$kind]++; }
      if (n.$parent) for (const k in n.$c) n.$parent.$c[k] += n.$c[k];
    }
  }

  function shown(node) {
    const f = state.filter;
    if (f === 'all' || node.$c[f] > 0) return true;
    // An added or removed container that matches shows everything it holds.
    for (let p = node.$parent; p; p = p.$parent) {
      if (isAddOrRemove(p) && p.$counted && p.$kind === f) return true;
    }
    return false;
  }

  function nameOf(node) {
    const parent = node.$parent;
    if (parent && parent.path && node.path.startsWith(parent.path + '/')) {
      return node.path.slice(parent.path.length + 1);
    }
    return node.path;
  }

  // ---- Details -----------------------------------------------------------------------------

  function changedCell(td, before, after) {
    td.className = 'cell-changed';
    td.append(el('del', 'before', show(before)), el('span', 'arrow', '→'),
              el('ins', 'after', show(after)));
  }

  function markedRow(body, cls, mark, cells) {
    const tr = body.insertRow();
    tr.className = cls;
    const m = el('td', 'mark', mark);
    m.title = cls === 'row-added' ? 'added' : 'removed';
    tr.append(m);
    for (const c of cells) tr.append(el('td', null, show(c)));
  }

  function tableDiff(box, d, used) {
    const cells = list(d.cells_changed_examples).filter(isObject);
    if (cells.length) {
      used.add('cells_changed_examples');
      const columns = [];
      const rows = new Map();
      for (const c of cells) {
        const column = show(c.column);
        if (!columns.includes(column)) columns.push(column);
        const id = 'key' in c ? show(c.key) : show(c.row);
        if (!rows.has(id)) rows.set(id, new Map());
        rows.get(id).set(column, c);
      }
      const keyName = Array.isArray(d.key) ? d.key.map(show).join(', ') : 'row';
      const t = table([keyName].concat(columns));
      t.className = 'table-diff cells';
      for (const [id, byColumn] of rows) {
        const tr = t.tBodies[0].insertRow();
        const th = el('th', null, id);
        th.scope = 'row';
        tr.append(th);
        for (const column of columns) {
          const td = el('td');
          const c = byColumn.get(column);
          if (c) changedCell(td, c.before, c.after);
          tr.append(td);
        }
      }
      box.append(el('h4', null, 'Changed cells'), t);
    }
    const added = list(d.rows_added_examples).filter(Array.isArray);
    const removed = list(d.rows_removed_examples).filter(Array.isArray);
    if (!added.length && !removed.length) return;
    used.add('rows_added_examples');
    used.add('rows_removed_examples');
    const width = Math.max.apply(null, added.concat(removed).map(function (r) { return r.length; }));
    // Each side's rows are in its file's column order: one header fits when the orders agree.
    const before = list(d.columns || d.columns_before), after = list(d.columns || d.columns_after);
    const same = before.length === after.length && before.every(function (c, i) { return c === after[i]; });
    let names = (same || !removed.length ? after : !added.length ? before : []).map(show);
    if (names.length !== width) names = Array.from({length: width}, function (_, i) { return String(i + 1); });
    else if (d.columns) used.add('columns');
    const t = table([''].concat(names));
    t.className = 'table-diff rows';
    for (const r of removed) markedRow(t.tBodies[0], 'row-removed', '−', r);
    for (const r of added) markedRow(t.tBodies[0], 'row-added', '+', r);
    box.append(el('h4', null, 'Added and removed rows'), t);
  }

  function hunks(box, d, used) {
    const hs = list(d.hunks).filter(isObject);
    if (!hs.length) return;
    used.add('hunks');
    const pre = el('pre', 'hunks');
    for (const h of hs) {
      pre.append(el('span', 'hunk-header', '@@ -' + show(h.old_start) + ',' + show(h.old_lines) +
                    ' +' + show(h.new_start) + ',' + show(h.new_lines) + ' @@'));
      for (const l of list(h.removed)) pre.append(el('span', 'line-removed', '-' + show(l)));
      for (const l of list(h.added)) pre.append(el('span', 'line-added', '+' + show(l)));
    }
    box.append(el('h4', null, 'Changed lines'), pre);
    if (d.excerpt_cut === true) {
      used.add('excerpt_cut');
      used.add('hunk_count');
      const n = typeof d.hunk_count === 'number' ? '; ' + plural(d.hunk_count, 'hunk', 'hunks') + ' in all' : '';
      box.append(el('p', 'note', 'Excerpt cut' + n + '.'));
    }
  }

  // Examples that locate a value and give its sides ({path, before, after} of the JSON
  // comparator, {key, before, after} of a plugin's): one table per list, before and after marked.
  function locatedExamples(box, d, used) {
    for (const key of Object.keys(d).sort()) {
      const items = d[key];
      if (used.has(key) || !key.endsWith('_examples') || !Array.isArray(items) || !items.length) continue;
      const locator = ['path', 'key', 'name'].find(function (k) {
        return items.every(function (x) {
          return isObject(x) && typeof x[k] === 'string' && ('before' in x || 'after' in x);
        });
      });
      if (!locator) continue;
      used.add(key);
      const t = table([locator, 'before', 'after']);
      t.className = locator === 'path' ? 'json-paths' : 'examples';
      for (const x of items) {
        const tr = t.tBodies[0].insertRow();
        tr.append(el('td', 'mono', x[locator]));
        const before = el('td'), after = el('td');
        if ('before' in x && 'after' in x) {
          changedCell(after, x.before, x.after);
          after.colSpan = 2;
          tr.append(after);
          continue;
        }
        if ('before' in x) { tr.className = 'row-removed'; before.append(el('del', 'before', show(x.before))); }
        if ('after' in x) { tr.className = 'row-added'; after.append(el('ins', 'after', show(x.after))); }
        tr.append(before, after);
      }
      box.append(el('h4', null, words(key.slice(0, -'_examples'.length))), t);
    }
  }

  function files(box, d, used) {
    const names = list(d.files).filter(function (f) { return typeof f === 'string'; });
    if (!names.length) return;
    used.add('files');
    const ul = el('ul', 'files');
    for (const f of names) ul.append(el('li', 'mono', f));
    if (typeof d.file_count === 'number' && d.file_count > names.length) {
      ul.append(el('li', 'note', '… and ' + (d.file_count - names.length) + ' more'));
    }
    box.append(el('h4', null, 'Files'), ul);
  }

  // Everything else: scalars and lists of scalars as facts, lists of flat objects as tables,
  // anything deeper as JSON text.
  function rest(box, node, d, used) {
    const dl = el('dl', 'facts');
    const fact = function (k, v) {
      const pair = el('div');
      pair.append(el('dt', null, k), el('dd', null, v));
      dl.append(pair);
    };
    if (node.item_type) fact('item type', node.item_type);
    if (node.comparator) fact('compared by', node.comparator);
    if (list(node.tags).length) fact('tags', node.tags.join(', '));
    const later = [];
    for (const key of Object.keys(d).sort()) {
      if (used.has(key)) continue;
      const v = d[key];
      if (isScalar(v)) fact(words(key), show(v));
      else if (Array.isArray(v) && v.every(isScalar)) fact(words(key), v.map(show).join(', '));
      else later.push(key);
    }
    box.append(dl);
    for (const key of later) {
      const v = d[key];
      box.append(el('h4', null, words(key)));
      if (Array.isArray(v) && v.length && v.every(function (x) { return isObject(x) && Object.values(x).every(isScalar); })) {
        const columns = [];
        for (const x of v) for (const k of Object.keys(x)) if (!columns.includes(k)) columns.push(k);
        const t = table(columns);
        for (const x of v) {
          const tr = t.tBodies[0].insertRow();
          for (const k of columns) tr.append(el('td', null, show(x[k])));
        }
        box.append(t);
      } else {
        box.append(el('pre', 'raw', JSON.stringify(v, null, 2)));
      }
    }
  }

  function detailsPanel(node) {
    const d = isObject(node.details) ? node.details : {};
    const box = el('div', 'details');
    const used = new Set();
    tableDiff(box, d, used);
    hunks(box, d, used);
    locatedExamples(box, d, used);
    files(box, d, used);
    rest(box, node, d, used);
    return box;
  }

  // ---- The tree ----------------------------------------------------------------------------

  function expandable(node) {
    return list(node.children).length > 0 || (isObject(node.details) && Object.keys(node.details).length > 0);
  }

  function changesBelow(node) {
    const f = state.filter;
    const own = node.$counted && (f === 'all' || node.$kind === f) ? 1 : 0;
    return node.$c[f] - own;
  }

  function treeItem(node, level, name) {
    const li = el('li');
    li.setAttribute('role', 'treeitem');
    li.setAttribute('aria-level', String(level));
    li.tabIndex = -1;
    li.$node = node;
    li.$level = level;
    li.dataset.kind = node.$kind;
    li.dataset.path = node.path;
    const row = el('div', 'row');
    row.id = 'row-' + (state.nextId++);
    li.setAttribute('aria-labelledby', row.id);
    const twisty = el('span', 'twisty');
    twisty.setAttribute('aria-hidden', 'true');
    const action = Object.prototype.hasOwnProperty.call(ACTIONS, node.action) ? node.action : 'other';
    row.append(twisty, el('span', 'badge action-' + action, ACTIONS[action] || show(node.action || 'changed')),
               el('span', 'name', name));
    if (node.source_path) row.append(el('span', 'source', 'from ' + node.source_path));
    if (node.summary) row.append(el('span', 'summary', node.summary));
    if (node.$counted && node.$kind !== 'other') row.append(el('span', 'kind kind-' + node.$kind, node.$kind));
    const below = changesBelow(node);
    if (below > 0) row.append(el('span', 'count', plural(below, 'change', 'changes')));
    li.append(row);
    if (expandable(node)) {
      const open = state.printing || state.expanded.has(node);
      li.setAttribute('aria-expanded', String(open));
      if (open) renderBody(li);
    }
    return li;
  }

  // Appends the children of `node` shown by the filter, from `start`, a page at a time.
  function renderChildren(group, node, start, level) {
    if (!group.$kids) group.$kids = list(node.children).filter(shown);
    const kids = group.$kids;
    const end = state.printing ? kids.length : Math.min(kids.length, start + PAGE);
    for (let i = start; i < end; i++) {
      const li = treeItem(kids[i], level, nameOf(kids[i]));
      li.setAttribute('aria-posinset', String(i + 1));
      li.setAttribute('aria-setsize', String(kids.length));
      group.append(li);
    }
    if (end < kids.length) {
      const more = el('li', 'more');
      more.setAttribute('role', 'treeitem');
      more.setAttribute('aria-level', String(level));
      more.tabIndex = -1;
      const row = el('div', 'row', 'Show ' + Math.min(PAGE, kids.length - end) + ' more (' +
                     (kids.length - end) + ' not shown)');
      more.append(row);
      more.$more = {group: group, node: node, start: end, level: level};
      group.append(more);
    }
  }

  function renderBody(li) {
    const node = li.$node;
    if (isObject(node.details) && Object.keys(node.details).length) li.append(detailsPanel(node));
    if (list(node.children).length) {
      const group = el('ul');
      group.setAttribute('role', 'group');
      renderChildren(group, node, 0, li.$level + 1);
      li.append(group);
    }
  }

  function setExpanded(li, open) {
    if (!li.hasAttribute('aria-expanded') || (li.getAttribute('aria-expanded') === 'true') === open) return;
    li.setAttribute('aria-expanded', String(open));
    if (open) {
      state.expanded.add(li.$node);
      renderBody(li);
    } else {
      state.expanded.delete(li.$node);
      for (const child of Array.from(li.children)) if (child.tagName !== 'DIV' || child.classList.contains('details')) child.remove();
    }
  }

  function showMore(li) {
    const m = li.$more;
    li.remove();
    const count = m.group.children.length;
    renderChildren(m.group, m.node, m.start, m.level);
    focusItem(m.group.children[count]);
  }

  // ---- Keyboard (the WAI-ARIA tree pattern) ------------------------------------------------

  function groupOf(li) {
    return li.getAttribute('aria-expanded') === 'true' ? li.querySelector(':scope > ul[role="group"]') : null;
  }
  function parentItem(li) {
    const g = li.parentElement;
    return g && g.getAttribute('role') === 'group' ? g.parentElement : null;
  }
  function lastShown(li) {
    for (let g = groupOf(li); g && g.lastElementChild; g = groupOf(li)) li = g.lastElementChild;
    return li;
  }
  function nextItem(li) {
    const g = groupOf(li);
    if (g && g.firstElementChild) return g.firstElementChild;
    for (let n = li; n; n = parentItem(n)) if (n.nextElementSibling) return n.nextElementSibling;
    return null;
  }
  function prevItem(li) {
    return li.previousElementSibling ? lastShown(li.previousElementSibling) : parentItem(li);
  }

  function focusItem(li) {
    if (!li) return;
    const tree = li.closest('[role="tree"]');
    for (const old of tree.querySelectorAll('[role="treeitem"][tabindex="0"]')) old.tabIndex = -1;
    li.tabIndex = 0;
    li.focus();
  }

  function onKey(event) {
    const li = event.target.closest('[role="treeitem"]');
    if (!li || event.altKey || event.ctrlKey || event.metaKey) return;
    const tree = li.closest('[role="tree"]');
    let handled = true;
    switch (event.key) {
      case 'ArrowDown': focusItem(nextItem(li)); break;
      case 'ArrowUp': focusItem(prevItem(li)); break;
      case 'Home': focusItem(tree.firstElementChild); break;
      case 'End': focusItem(lastShown(tree.lastElementChild)); break;
      case 'ArrowRight':
        if (li.$more) showMore(li);
        else if (li.getAttribute('aria-expanded') === 'false') setExpanded(li, true);
        else if (groupOf(li)) focusItem(groupOf(li).firstElementChild);
        break;
      case 'ArrowLeft':
        if (li.getAttribute('aria-expanded') === 'true') setExpanded(li, false);
        else focusItem(parentItem(li));
        break;
      case 'Enter':
      case ' ':
        if (li.$more) showMore(li);
        else setExpanded(li, li.getAttribute('aria-expanded') === 'false');
        break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  }

  function onClick(event) {
    const row = event.target.closest('.row');
    if (!row) return;
    const li = row.parentElement;
    if (li.$more) { showMore(li); return; }
    focusItem(li);
    setExpanded(li, li.getAttribute('aria-expanded') === 'false');
  }

  // ---- Page --------------------------------------------------------------------------------

  function countsText(c) {
    const parts = KINDS.filter(function (k) { return c[k] > 0; }).map(function (k) { return c[k] + ' ' + k; });
    return plural(c.all, 'change', 'changes') + (parts.length ? ': ' + parts.join(', ') : '');
  }

  function renderTree(section) {
    const tree = section.tree;
    tree.textContent = '';
    const root = section.cs.root;
    if (!isObject(root)) return;
    // The root folder itself is a change only when it has a summary (or is a single file).
    if (root.summary || !list(root.children).length) {
      if (shown(root)) tree.append(treeItem(root, 1, label(section.cs.to_snapshot)));
    } else {
      tree.$kids = null;
      renderChildren(tree, root, 0, 1);
    }
    const first = tree.querySelector('[role="treeitem"]');
    if (first) first.tabIndex = 0;
  }

  function rerender() {
    for (const s of sections) renderTree(s);
  }

  function diagnostics(section, cs) {
    const diags = list(cs.diagnostics).filter(isObject);
    if (!diags.length) return;
    section.append(el('h3', null, 'Diagnostics (' + diags.length + ')'));
    const t = table(['severity', 'code', 'path', 'message']);
    t.className = 'diagnostics';
    for (const d of diags) {
      const tr = t.tBodies[0].insertRow();
      const sev = ['info', 'warning', 'error'].includes(d.severity) ? d.severity : 'unspecified';
      tr.className = 'sev-' + sev;
      tr.append(el('td', 'sev', sev), el('td', 'mono', show(d.code)), el('td', 'mono', show(d.path)),
                el('td', null, show(d.message)));
    }
    section.append(t);
  }

  function toolbar(totals) {
    const bar = el('div', 'toolbar');
    const fs = el('fieldset');
    fs.append(el('legend', null, 'Show'));
    for (const k of ['all'].concat(KINDS)) {
      if (k === 'other' && !totals.other) continue;
      const input = el('input');
      input.type = 'radio';
      input.name = 'filter';
      input.value = k;
      input.id = 'filter-' + k;
      input.checked = k === 'all';
      const lab = el('label');
      lab.htmlFor = input.id;
      lab.append(input, document.createTextNode(' ' + k + ' (' + totals[k] + ')'));
      fs.append(lab);
    }
    fs.addEventListener('change', function (e) {
      state.filter = e.target.value;
      rerender();
    });
    const expandAll = el('button', null, 'Expand all');
    expandAll.type = 'button';
    expandAll.addEventListener('click', function () {
      for (const s of sections) for (const n of s.nodes) if (expandable(n)) state.expanded.add(n);
      rerender();
    });
    const collapseAll = el('button', null, 'Collapse all');
    collapseAll.type = 'button';
    collapseAll.addEventListener('click', function () {
      state.expanded.clear();
      rerender();
    });
    bar.append(fs, expandAll, collapseAll);
    return bar;
  }

  function allNodes(root) {
    const out = [];
    const stack = isObject(root) ? [root] : [];
    while (stack.length) {
      const n = stack.pop();
      out.push(n);
      for (const c of list(n.children)) stack.push(c);
    }
    return out;
  }

  function build() {
    const main = document.getElementById('report');
    main.textContent = '';
    const totals = {all: 0, substantive: 0, clerical: 0, other: 0};
    const changesets = list(data.changesets).filter(isObject);
    const body = el('div');
    for (const cs of changesets) {
      const section = el('section', 'changeset');
      const heading = label(cs.from_snapshot) + ' → ' + label(cs.to_snapshot);
      section.append(el('h2', null, heading));
      const s = {cs: cs, nodes: allNodes(cs.root)};
      if (isObject(cs.root)) {
        prepare(cs.root);
        for (const k in totals) totals[k] += cs.root.$c[k];
        section.append(el('p', 'counts', countsText(cs.root.$c)));
      } else {
        const errors = list(cs.diagnostics).some(function (d) { return isObject(d) && d.severity === 'error'; });
        section.append(el('p', 'empty', errors ? 'No changes found in what could be read; see the errors below.'
                                                : 'No changes detected.'));
      }
      s.tree = el('ul', 'tree');
      s.tree.setAttribute('role', 'tree');
      s.tree.setAttribute('aria-label', 'Changes from ' + visible(heading));
      s.tree.addEventListener('keydown', onKey);
      s.tree.addEventListener('click', onClick);
      section.append(s.tree);
      diagnostics(section, cs);
      sections.push(s);
      body.append(section);
    }
    main.append(toolbar(totals), body);
    rerender();
  }

  // Printing shows everything, expanded and unpaged.
  window.addEventListener('beforeprint', function () { state.printing = true; rerender(); });
  window.addEventListener('afterprint', function () { state.printing = false; rerender(); });

  build();
})();
