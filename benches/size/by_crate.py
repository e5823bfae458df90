"""Sums twiggy's per-item sizes by crate (the first path segment of each demangled
name; a trait impl `<T as Trait>::f` counts for T's crate) and prints a table.

Usage: by_crate.py TOP_CSV SHIPPED_WASM RAW_WASM
"""
import collections
import csv
import gzip
import os
import re
import sys

top_csv, shipped, raw = sys.argv[1:4]
rows = list(csv.DictReader(open(top_csv, newline="")))

def owner(name: str) -> str:
    if name.startswith("data segment"):
        return "(data: string constants, tables)"
    if "subsection" in name or "section" in name:
        return "(section: " + name.replace('"', "")[:40] + ")"
    if name.startswith("code["):
        return "(unnamed code)"
    if "::" not in name and re.match(r"^[a-z0-9]+_[A-Za-z0-9_]+( |$)", name):
        # wasm-bindgen's export shims, with the Rust code wasm-opt inlined into them.
        return "(exported functions, code inlined into them)"
    if name.startswith("export ") or name.startswith("import "):
        return "(exports and imports)"
    if name.startswith("table") or name.startswith("elem") or name.startswith("type["):
        return "(tables and types)"
    m = re.match(r"^[<&\s]*(?:dyn\s+)?(?:mut\s+)?(?:\*(?:const|mut)\s+)?([A-Za-z_][A-Za-z0-9_]*)", name)
    if not m:
        return "(other)"
    crate = m.group(1)
    # A blanket impl `<T as Trait>::f`: count it for the trait's crate.
    blanket = re.match(r"^<(?:&(?:mut )?)?[A-Z]\w{0,2} as ([A-Za-z_][A-Za-z0-9_]*)", name)
    if blanket:
        crate = blanket.group(1)
    # Primitive types' inherent impls live in core.
    if crate in {"u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
                 "usize", "isize", "f32", "f64", "char", "str", "bool"}:
        return "core"
    return crate

totals = collections.Counter()
for row in rows:
    totals[owner(row["Name"])] += int(row["ShallowSize"])
totals.pop("(section: function names subsection)", 0)
total = sum(totals.values())

ship = open(shipped, "rb").read()
print("## Totals")
print()
print(f"raw cargo output (before wasm-bindgen and wasm-opt): {os.path.getsize(raw):>9} bytes")
print(f"shipped wasm (wasm-opt -Oz, stripped):               {len(ship):>9} bytes, gzip -9 {len(gzip.compress(ship, 9)):>8}")
print()
print("## By crate (wasm-opt -Oz output, names section excluded)")
print()
print(f"{'bytes':>9}  {'share':>6}  crate")
for crate, size in totals.most_common():
    if size < 200:
        continue
    print(f"{size:>9}  {100 * size / total:5.1f}%  {crate}")
print(f"{total:>9}  100.0%  total")
