"""A SQLite comparator: tables added and removed, schema changes, rows added and removed per table."""
from __future__ import annotations

import collections
import hashlib
import sqlite3
from typing import Dict, List, Optional, Tuple

from deltascope_plugin import Comparator, Context, Side, changed, identical, node, serve, skip


def _open(path: str) -> sqlite3.Connection:
    # immutable=1: never take locks or touch a journal next to a snapshot we must not modify.
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def _tables(conn: sqlite3.Connection) -> Dict[str, str]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return {name: sql or "" for name, sql in rows}


def _row_counts(conn: sqlite3.Connection, table: str) -> collections.Counter:
    """Each row's digest with its multiplicity: memory is one digest per distinct row."""
    counts: collections.Counter = collections.Counter()
    quoted = '"' + table.replace('"', '""') + '"'
    for row in conn.execute(f"SELECT * FROM {quoted}"):
        counts[hashlib.blake2b(repr(row).encode(), digest_size=16).digest()] += 1
    return counts


def _columns(conn: sqlite3.Connection, table: str) -> List[str]:
    quoted = '"' + table.replace('"', '""') + '"'
    return [r[1] for r in conn.execute(f"PRAGMA table_info({quoted})")]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class SqliteComparator(Comparator):
    name = "sqlite"
    extensions = [".sqlite", ".sqlite3", ".db"]
    media_types = ["application/vnd.sqlite3"]

    def compare(self, left: Optional[Side], right: Optional[Side], ctx: Context):
        try:
            before = _open(left.path) if left else None
            after = _open(right.path) if right else None
            tables_before = _tables(before) if before else {}
            tables_after = _tables(after) if after else {}
        except sqlite3.DatabaseError:
            return skip()  # not a database after all: the host's next comparator takes it
        if left is None or right is None:
            tables = tables_after if right else tables_before
            verb = "New database" if right else "Database removed"
            return changed(f"{verb} ({_plural(len(tables), 'table')})", action="add" if right else "remove",
                           item_type="sqlite_database", tags=["file-addition" if right else "file-removal"],
                           details={"tables": sorted(tables)})
        children = []
        for table in sorted(set(tables_before) | set(tables_after)):
            child = self._compare_table(ctx.path, table, before, after, tables_before, tables_after)
            if child is not None:
                children.append(child)
        if not children:
            return identical()
        tags = sorted({t for c in children for t in c.tags})
        return changed(f"{_plural(len(children), 'table')} changed", item_type="sqlite_database",
                       tags=tags, details={"tables_changed": len(children)}, children=children)

    def _compare_table(self, parent: str, table: str, before, after, tables_before, tables_after):
        path = f"{parent}/{table}" if parent else table
        if table not in tables_before or table not in tables_after:
            added = table in tables_after
            conn = after if added else before
            rows = sum(_row_counts(conn, table).values())
            return node("add" if added else "remove", path=path, item_type="sqlite_table",
                        summary=f"table {table}: {'new table' if added else 'table removed'} "
                                f"({_plural(rows, 'row')})",
                        tags=["table-addition" if added else "table-removal"], details={"rows": rows})
        tags, parts, details = [], [], {}
        cols_before, cols_after = _columns(before, table), _columns(after, table)
        if tables_before[table] != tables_after[table]:
            tags.append("schema-change")
            added_cols = [c for c in cols_after if c not in cols_before]
            removed_cols = [c for c in cols_before if c not in cols_after]
            details.update(columns_added=added_cols, columns_removed=removed_cols)
            parts.append("schema changed" + (f" (+{', '.join(added_cols)})" if added_cols else "")
                         + (f" (-{', '.join(removed_cols)})" if removed_cols else ""))
        rows_before, rows_after = _row_counts(before, table), _row_counts(after, table)
        added = sum((rows_after - rows_before).values())
        removed = sum((rows_before - rows_after).values())
        if added:
            tags.append("row-addition")
            parts.append(f"{_plural(added, 'row')} added")
        if removed:
            tags.append("row-removal")
            parts.append(f"{_plural(removed, 'row')} removed")
        if not parts:
            return None
        details.update(rows_added=added, rows_removed=removed, row_count_before=sum(rows_before.values()),
                       row_count_after=sum(rows_after.values()))
        return node("modify", path=path, item_type="sqlite_table", summary=f"table {table}: {'; '.join(parts)}",
                    tags=tags, details=details)


if __name__ == "__main__":
    raise SystemExit(serve(SqliteComparator(), name="sqlite-python", version="0.1.0"))
