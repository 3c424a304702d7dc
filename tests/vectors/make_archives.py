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


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED, level=None):
    """members: list of (name, str|bytes). Returns the bytes of a zip holding them in order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression, compresslevel=level) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = compression
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

    # Same members, different archive bytes (other compression level, other member order):
    # nothing to report.
    members = [("inventory.csv", CSV_A * 20), ("README.txt", README_A)]
    write_case("archive-repacked", "a", {"data.zip": zip_bytes(members, level=9),
                                         "data.tar.gz": tar_bytes(members, "w:gz")})
    write_case("archive-repacked", "b", {
        "data.zip": zip_bytes(list(reversed(members)), compression=zipfile.ZIP_STORED),
        "data.tar.gz": tar_bytes(members, "w")})

    # Added and removed archives: summaries with member counts.
    write_case("archive-add-remove", "a", {"old.zip": zip_bytes([("a.txt", "a\n")])})
    write_case("archive-add-remove", "b", {
        "new.tar": tar_bytes([("x/one.txt", "1\n"), ("x/two.txt", "2\n")])})

    # A renamed archive (same bytes) is one move, not its members; a renamed and repacked one
    # (same members, other bytes) is an added and a removed archive.
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
