"""Screenshots an HTML report in headless Chromium (the README's docs/report-screenshot.png):
python scripts/report_screenshot.py REPORT.html OUT.png [PATH ...]

Each PATH (a changed item of the first changeset, e.g. data/trees.csv) is opened in the tree,
with its folders, before the full-page screenshot is taken."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "browser"))
import cdp  # noqa: E402

OPEN = r"""(paths => {
  const section = document.querySelector('section.changeset');
  const item = path => Array.from(section.querySelectorAll('li[role="treeitem"]'))
      .find(li => li.dataset.path === path);
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const li = item(parts.slice(0, i).join('/'));
      if (li && li.getAttribute('aria-expanded') === 'false') li.querySelector('.row').click();
    }
  }
  document.activeElement.blur();
  window.scrollTo(0, 0);  // the sticky toolbar is drawn where the view is
})"""


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    report, out, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    with cdp.Chromium(width=1100, height=800) as browser:
        browser.open(report)
        browser.evaluate(f"{OPEN}({json.dumps(paths)})")
        png = browser.screenshot(full_page=True)
    if len(cdp.png_colours(png)) < 2:
        sys.exit("report_screenshot: the page is blank")
    with open(out, "wb") as f:
        f.write(png)
    print(out)


if __name__ == "__main__":
    main()
