"""The comparator, called exactly as deltascope calls it (no host needed): `python -m pytest`."""
from deltascope_plugin.testing import compare_files

from @IDENT@ import @CLASS@


def write(path, text):
    path.write_text(text)
    return str(path)


def test_counts_lines(tmp_path):
    a = write(tmp_path / "a@EXT@", "one\n")
    b = write(tmp_path / "b@EXT@", "one\ntwo\nthree\n")
    outcome = compare_files(@CLASS@(), a, b)
    assert outcome.outcome == "leaf"
    assert outcome.summary == "1 → 3 lines"


def test_same_content_is_identical(tmp_path):
    a = write(tmp_path / "a@EXT@", "same\n")
    b = write(tmp_path / "b@EXT@", "same\n")
    assert compare_files(@CLASS@(), a, b).outcome == "identical"
