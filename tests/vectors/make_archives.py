#!/usr/bin/env python3
"""Writes the archive fixtures of the golden vectors tests/vectors/archive-*/ deterministically
(fixed timestamps, modes and owners), so re-running it changes nothing. Run from anywhere:
    python3 tests/vectors/make_archives.py
"""
import gzip
import io
import os
import shutil
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ZIP_TIME = (2024, 1, 2, 3, 4, 6)
TAR_TIME = 1704164646

CSV_A = "id,name,qty\n1,apple,3\n2,pear,5\n3,plum,7\n"
CSV_B = "id,name,qty\n1,apple,3\n2,pear,6\n3,plum,7\n4,fig,1\n"
README_A = "Fruit inventory.\nUpdated weekly.\n"
README_B = "Fruit inventory.\nUpdated daily.\n"


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED, level=None, date_time=ZIP_TIME):
    """members: list of (name, str|bytes). Returns the bytes of a zip holding them in order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression, compresslevel=level) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = compression
            # A ZipInfo carries its own level (the ZipFile's applies only to names).
            info._compresslevel = level
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


def tar_bytes(members, mode="w"):
    """members: list of (name, str|bytes). mode "w", "w:gz", "w:bz2" or "w:xz"."""
    if mode == "w:gz":
        # tarfile's gzip header would carry the current time: compress with a fixed mtime.
        return gzip_bytes(tar_bytes(members, "w"))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.USTAR_FORMAT) as t:
        add_members(t, members)
    return buf.getvalue()


def add_members(t, members):
    for name, data in members:
        data = data.encode() if isinstance(data, str) else data
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = TAR_TIME
        info.mode = 0o644
        info.uname = info.gname = "data"
        t.addfile(info, io.BytesIO(data))


def gzip_bytes(data):
    data = data.encode() if isinstance(data, str) else data
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=TAR_TIME) as g:
        g.write(data)
    return buf.getvalue()


def write_case(case, side, files):
    """files: {relative path: bytes|str}. Recreates snapshot-<side> of the case."""
    root = os.path.join(HERE, case, "snapshot-" + side)
    shutil.rmtree(root, ignore_errors=True)
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)


def main():
    # A zip whose members change, appear and disappear.
    write_case("archive-zip-simple", "a", {
        "data.zip": zip_bytes([("inventory.csv", CSV_A), ("README.txt", README_A),
                               ("old/notes.txt", "to be removed\n")]),
        "unchanged.txt": "same\n",
    })
    write_case("archive-zip-simple", "b", {
        "data.zip": zip_bytes([("inventory.csv", CSV_B), ("README.txt", README_A),
                               ("new.txt", "a new member\n")]),
        "unchanged.txt": "same\n",
    })

    # A zip inside a zip: the change is reported at outer.zip/inner.zip/inventory.csv.
    def outer(csv):
        inner = zip_bytes([("inventory.csv", csv), ("README.txt", README_A)])
        return zip_bytes([("inner.zip", inner), ("top.txt", "top level\n")])
    write_case("archive-zip-nested", "a", {"outer.zip": outer(CSV_A)})
    write_case("archive-zip-nested", "b", {"outer.zip": outer(CSV_B)})

    # A tar holding a zip.
    def bundle(csv, readme):
        return tar_bytes([("bundle/readme.txt", readme),
                          ("bundle/tables.zip", zip_bytes([("inventory.csv", csv)]))])
    write_case("archive-tar-nested", "a", {"bundle.tar": bundle(CSV_A, README_A)})
    write_case("archive-tar-nested", "b", {"bundle.tar": bundle(CSV_B, README_B)})

    # Compressed tarballs (.tar.gz, .tgz, .tar.bz2, .tar.xz) with one changed member each.
    tar_a = [("inventory.csv", CSV_A), ("README.txt", README_A)]
    tar_b = [("inventory.csv", CSV_B), ("README.txt", README_A)]
    write_case("archive-tar-gz", "a", {
        "data.tar.gz": tar_bytes(tar_a, "w:gz"), "data.tgz": tar_bytes(tar_a, "w:gz"),
        "data.tar.bz2": tar_bytes(tar_a, "w:bz2"), "data.tar.xz": tar_bytes(tar_a, "w:xz"),
    })
    write_case("archive-tar-gz", "b", {
        "data.tar.gz": tar_bytes(tar_b, "w:gz"), "data.tgz": tar_bytes(tar_a, "w:gz"),
        "data.tar.bz2": tar_bytes(tar_b, "w:bz2"), "data.tar.xz": tar_bytes(tar_b, "w:xz"),
    })

    # Single gzip streams: data.csv.gz is compared as data.csv; notes.gz has no inner extension.
    write_case("archive-csv-gz", "a", {"data.csv.gz": gzip_bytes(CSV_A),
                                       "notes.txt.gz": gzip_bytes(README_A)})
    write_case("archive-csv-gz", "b", {"data.csv.gz": gzip_bytes(CSV_B),
                                       "notes.txt.gz": gzip_bytes(README_B)})

    # Same members, different archive bytes (other compression, member order, timestamps, only
    # the deflate level, or a zip replaced by a tarball): a clerical "Repacked with identical
    # contents (...)" each.
    members = [("inventory.csv", CSV_A * 20), ("README.txt", README_A)]
    write_case("archive-repacked", "a", {"data.zip": zip_bytes(members, level=9),
                                         "data.tar.gz": tar_bytes(members, "w:gz"),
                                         "level.zip": zip_bytes(members, level=9),
                                         "times.zip": zip_bytes(members),
                                         "swapped.tgz": zip_bytes(members)})
    write_case("archive-repacked", "b", {
        "data.zip": zip_bytes(list(reversed(members)), compression=zipfile.ZIP_STORED),
        "data.tar.gz": tar_bytes(members, "w"),
        "level.zip": zip_bytes(members, level=1),
        "times.zip": zip_bytes(members, date_time=(2025, 6, 7, 8, 9, 10)),
        "swapped.tgz": tar_bytes(members, "w:gz")})  # a zip named .tgz became one

    # Moves inside an archive are found as in a folder: the same renamed-and-edited report and
    # the same renamed file, once in pkg.zip and once in the folder pkg/.
    survey = "".join("%d. Finding number %d of the annual survey.\n" % (i, i) for i in range(1, 25))
    pkg_a = [("reports/2024-findings.txt", survey), ("data.bin", "\x00" * 64),
             ("keep.txt", "kept\n")]
    pkg_b = [("archive/findings-2024.txt",
              survey.replace("10 of the annual", "10 (revised) of the annual")),
             ("moved/data.bin", "\x00" * 64), ("keep.txt", "kept\n")]
    write_case("archive-moves", "a", dict([("pkg.zip", zip_bytes(pkg_a))] +
                                          [("pkg/" + n, d) for n, d in pkg_a]))
    write_case("archive-moves", "b", dict([("pkg.zip", zip_bytes(pkg_b))] +
                                          [("pkg/" + n, d) for n, d in pkg_b]))

    # An archive that becomes a folder and a folder that becomes a tarball: their contents are
    # compared (data.zip -> data/ with a moved and an edited member; tables/ -> tables.tar.gz
    # with identical contents), never "replaced".
    write_case("archive-vs-folder", "a", dict(
        [("data.zip", zip_bytes(pkg_a))] + [("tables/" + n, d) for n, d in tar_a]))
    write_case("archive-vs-folder", "b", dict(
        [("data/" + n, d) for n, d in pkg_b] + [("tables.tar.gz", tar_bytes(tar_a, "w:gz"))]))

    # The snapshots themselves: `deltascope diff snapshot-a snapshot-b` with snapshot-a a zip
    # (no extension: sniffed) and snapshot-b a folder.
    root = os.path.join(HERE, "archive-vs-folder-root")
    os.makedirs(root, exist_ok=True)
    shutil.rmtree(os.path.join(root, "snapshot-a"), ignore_errors=True)
    with open(os.path.join(root, "snapshot-a"), "wb") as f:
        f.write(zip_bytes(pkg_a))
    write_case("archive-vs-folder-root", "b", dict(pkg_b))

    # File names that are not valid UTF-8: two names differing only in an invalid byte stay two
    # files, escaped \xHH. Such names are not portable in git checkouts, so the snapshots are
    # a tarball the golden test unpacks (names-not-utf8/snapshots.tar).
    names = tar_bytes([
        ("snapshot-a/x\udcff.txt", "one\n"), ("snapshot-a/x\udcfe.txt", "two\n"),
        ("snapshot-a/caf\udce9.csv", "id,v\n1,a\n"),
        ("snapshot-b/x\udcff.txt", "one, changed\n"), ("snapshot-b/x\udcfe.txt", "two, changed\n"),
        ("snapshot-b/caf\udce9.csv", "id,v\n1,b\n"), ("snapshot-b/new\udc80.txt", "new\n"),
    ])
    os.makedirs(os.path.join(HERE, "names-not-utf8"), exist_ok=True)
    with open(os.path.join(HERE, "names-not-utf8", "snapshots.tar"), "wb") as f:
        f.write(names)

    # Added and removed archives: summaries with member counts.
    write_case("archive-add-remove", "a", {"old.zip": zip_bytes([("a.txt", "a\n")])})
    write_case("archive-add-remove", "b", {
        "new.tar": tar_bytes([("x/one.txt", "1\n"), ("x/two.txt", "2\n")])})

    # A renamed archive (same bytes) is one move, not its members; a renamed and repacked one
    # (same members, other bytes) is one move too, as a renamed folder would be.
    renamed = zip_bytes([("inventory.csv", CSV_A), ("README.txt", README_A)])
    write_case("archive-renamed", "a", {"2024/data.zip": renamed, "survey.tar.gz": tar_bytes(tar_a, "w:gz")})
    write_case("archive-renamed", "b", {"archive/data-2024.zip": renamed,
                                        "survey-final.tar": tar_bytes(tar_a, "w")})

    # Unsafe members (zip-slip, absolute path): refused with a diagnostic; the rest is compared.
    write_case("archive-zip-slip", "a", {"upload.zip": zip_bytes([("ok.txt", "safe\n")])})
    write_case("archive-zip-slip", "b", {"upload.zip": zip_bytes([
        ("ok.txt", "safe, changed\n"), ("../../evil.txt", "escaped\n"),
        ("/etc/evil.conf", "absolute\n")])})

    # A corrupt zip and a truncated tar.gz on one side: diagnostics, binary fallback, and the
    # other change (notes.txt) is still reported.
    good_zip = zip_bytes([("inventory.csv", CSV_A)])
    good_tgz = tar_bytes(tar_a, "w:gz")
    write_case("archive-corrupt", "a", {"data.zip": good_zip, "data.tar.gz": good_tgz,
                                        "notes.txt": README_A})
    corrupt = bytearray(zip_bytes([("inventory.csv", CSV_B)]))
    corrupt[30:60] = b"\xff" * 30  # clobber the member's name and data
    write_case("archive-corrupt", "b", {"data.zip": bytes(corrupt),
                                        "data.tar.gz": tar_bytes(tar_b, "w:gz")[:60],
                                        "notes.txt": README_B})

    # A zip cut short after its members (the central directory is gone): read through the
    # directory, it is corrupt, and its changed bytes are reported, never "no changes".
    whole = zip_bytes([("inventory.csv", CSV_A), ("README.txt", README_A)])
    write_case("archive-zip-truncated", "a", {"data.zip": whole})
    write_case("archive-zip-truncated", "b", {"data.zip": whole[:-40]})


if __name__ == "__main__":
    main()
