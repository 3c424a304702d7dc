"""The example SQLite plugin, in-process (deltascope_plugin.testing) and through discovery."""
import subprocess
import sys

from conftest import make_db

from deltascope_plugin.testing import compare_files
from deltascope_sqlite import SqliteComparator

SCHEMA = "CREATE TABLE allocations (id INTEGER PRIMARY KEY, fund TEXT, amount REAL)"


def test_rows_added_removed_and_tables(tmp_path):
    a = make_db(tmp_path / "a.sqlite", [SCHEMA, "INSERT INTO allocations VALUES (1, 'parks', 10)",
                                        "INSERT INTO allocations VALUES (2, 'roads', 20)",
                                        "CREATE TABLE old (x)"])
    b = make_db(tmp_path / "b.sqlite", [SCHEMA, "INSERT INTO allocations VALUES (1, 'parks', 10)",
                                        "INSERT INTO allocations VALUES (3, 'trees', 5)",
                                        "INSERT INTO allocations VALUES (4, 'trees', 6)",
                                        "INSERT INTO allocations VALUES (5, 'trees', 7)",
                                        "CREATE TABLE fresh (y)", "INSERT INTO fresh VALUES (1)"])
    out = compare_files(SqliteComparator(), str(a), str(b), logical_path="db/budget.sqlite")
    assert out.outcome == "leaf"
    assert out.summary == "3 tables changed"
    by_path = {c["path"]: c for c in out.node["children"]}
    assert by_path["db/budget.sqlite/allocations"]["summary"] == "table allocations: 3 rows added; 1 row removed"
    assert by_path["db/budget.sqlite/fresh"]["action"] == "add"
    assert by_path["db/budget.sqlite/old"]["action"] == "remove"
    assert sorted(by_path["db/budget.sqlite/allocations"]["tags"]) == ["row-addition", "row-removal"]


def test_schema_change_and_identical(tmp_path):
    a = make_db(tmp_path / "a.db", [SCHEMA])
    b = make_db(tmp_path / "b.db", [SCHEMA.replace("amount REAL", "amount REAL, note TEXT")])
    out = compare_files(SqliteComparator(), str(a), str(b))
    child = out.node["children"][0]
    assert "schema-change" in child["tags"]
    assert child["details"]["columns_added"] == ["note"]
    assert compare_files(SqliteComparator(), str(a), str(a)).outcome == "identical"


def test_not_a_database_is_skipped(tmp_path):
    a = tmp_path / "a.db"
    a.write_bytes(b"this is not sqlite" * 100)
    assert compare_files(SqliteComparator(), str(a), str(a)).outcome == "skip"


def test_added_database(tmp_path):
    b = make_db(tmp_path / "b.sqlite", [SCHEMA, "CREATE TABLE t (x)"])
    out = compare_files(SqliteComparator(), None, str(b))
    assert out.node["action"] == "add"
    assert out.summary == "New database (2 tables)"


def test_discovery_and_check_find_the_installed_plugin():
    import json
    out = subprocess.run([sys.executable, "-m", "deltascope_plugin", "discover"], capture_output=True, text=True,
                         check=True).stdout
    plugins = {p["name"]: p for p in json.loads(out)["plugins"]}
    assert plugins["sqlite-python"]["distribution"] == "deltascope-sqlite"
    assert plugins["sqlite-python"]["comparators"][0]["name"] == "sqlite"
    check = subprocess.run([sys.executable, "-m", "deltascope_plugin", "check", "sqlite-python"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    missing = subprocess.run([sys.executable, "-m", "deltascope_plugin", "check", "no-such-plugin"],
                             capture_output=True, text=True)
    assert missing.returncode == 1
    assert "no-such-plugin: no such entry point" in missing.stdout
