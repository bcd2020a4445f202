#!/usr/bin/env python3
"""Builds data/demo.json from a local clone of OpenBeta/opentacos-content.

    git clone https://github.com/OpenBeta/opentacos-content /tmp/opentacos-content
    python3 data/build_demo.py /tmp/opentacos-content > data/demo.json

Only facts are kept: area and climb names, grades, climb types (disciplines),
safety ratings, left-to-right order and area coordinates. Descriptions, first
ascent text, photos and the source's ids are left out. See data/README.md.
"""
import json
import os
import re
import sys

import yaml

ROOT = "content"
# The subtrees in the demo, below content/. Their ancestors come along.
SUBTREES = [
    "USA/Oregon/Central Oregon/Smith Rock/Monkey Face",
    "USA/Oregon/Central Oregon/Smith Rock/Morning Glory Wall",
    "USA/Oregon/Central Oregon/Smith Rock/The Dihedrals",
    "USA/Oregon/Central Oregon/Smith Rock/Red Wall",
    "USA/Oregon/Central Oregon/Smith Rock/Picnic Lunch Wall",
    "USA/Oregon/Central Oregon/Smith Rock/Smith Rock Bouldering",
    "USA/Nevada/Southern Nevada/Arrow Canyon",
]
TYPES = {"sport", "trad", "tr", "aid", "boulder", "ice", "mixed", "alpine", "snow"}
YDS = re.compile(r"^5\.\d{1,2}[abcd]?([+-]|/[abcd])?$")
VSCALE = re.compile(r"^V(\d{1,2}|B)[+-]?$")


def front_matter(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("---"):
        return {}
    return yaml.safe_load(text.split("---", 2)[1]) or {}


def climb(meta):
    name = str(meta.get("route_name") or "").strip()
    grade = str(meta.get("yds") or "").strip()
    if not name or not grade:
        return None
    if YDS.match(grade):
        grades = {"yds": grade}
    elif VSCALE.match(grade):
        grades = {"vscale": grade}
    else:
        return None
    types = {k: True for k, v in (meta.get("type") or {}).items() if v and k in TYPES}
    if not types:
        return None
    out = {"name": name[:200], "grades": grades, "type": types}
    safety = str(meta.get("safety") or "").strip().upper()
    if safety in {"PG", "PG13", "R", "X"}:
        out["safety"] = safety
    lri = (meta.get("metadata") or {}).get("left_right_index")
    try:
        lri = int(lri)
        if lri >= 0:
            out["metadata"] = {"left_right_index": lri}
    except (TypeError, ValueError):
        pass
    return out


def area(directory, name):
    index = os.path.join(directory, "index.md")
    meta = front_matter(index) if os.path.exists(index) else {}
    node = {"area_name": str(meta.get("area_name") or name).strip()}
    md = meta.get("metadata") or {}
    lat, lng = md.get("lat"), md.get("lng")
    if isinstance(lat, (int, float)) and isinstance(lng, (int, float)) and (lat, lng) != (0, 0):
        node["metadata"] = {"lat": round(float(lat), 5), "lng": round(float(lng), 5)}
    return node


def subtree(directory, name):
    node = area(directory, name)
    children, climbs = [], []
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        if os.path.isdir(path):
            child = subtree(path, entry)
            if child.get("children") or child.get("climbs"):
                children.append(child)
        elif entry.endswith(".md") and entry != "index.md":
            c = climb(front_matter(path))
            if c:
                climbs.append(c)
    climbs.sort(key=lambda c: (c.get("metadata", {}).get("left_right_index", 1 << 30), c["name"]))
    if children:
        node["children"] = children
        # Parents in the source often repeat an ancestor's coordinates: keep
        # coordinates only where climbs are.
        node.pop("metadata", None)
    if climbs:
        node["climbs"] = climbs
    return node


def main():
    repo = sys.argv[1]
    roots = []
    for sub in SUBTREES:
        parts = sub.split("/")
        level, directory = roots, os.path.join(repo, ROOT)
        for depth, part in enumerate(parts):
            directory = os.path.join(directory, part)
            if depth == len(parts) - 1:
                level.append(subtree(directory, part))
                break
            wanted = area(directory, part)["area_name"]
            found = next((n for n in level if n["area_name"] == wanted), None)
            if found is None:
                found = {"area_name": wanted}
                level.append(found)
            level = found.setdefault("children", [])
    json.dump(roots, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
