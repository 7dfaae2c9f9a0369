#!/usr/bin/python3
"""yaml2json.py: a JSON copy of a loco registry, without PyYAML.

Only for tests/bench.sh on machines where /usr/bin/python3 has no PyYAML:
it reads the block-style subset the registries here use (mappings,
sequences of mappings, "key: value", flow lists "[a, b]", "|-" and "|"
block scalars, comments) and is not a YAML parser.
"""
import json
import re
import sys


def scalar(s):
    s = s.strip()
    if s.startswith("[") and s.endswith("]"):
        return [scalar(x) for x in s[1:-1].split(",") if x.strip()]
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    if s in ("true", "false"):
        return s == "true"
    if s in ("", "~", "null"):
        return None
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", s):
        return float(s)
    return s


def key_value(text):
    # The key ends at the first ": " (or a final ':'); keys may hold '#'.
    m = re.match(r"((?:[^:]|:(?! |$))+):(?: (.*))?$", text)
    return m.group(1).strip(), (m.group(2) or "")


def parse(lines, i, indent):
    """Parse the block of (indent, text) lines at lines[i] with this indent."""
    if lines[i][1].startswith("-"):
        out = []
        while i < len(lines) and lines[i][0] == indent and \
                lines[i][1].startswith("-"):
            rest = lines[i][1][1:].lstrip()
            if ":" in rest:
                # "- key: v": the item is a mapping indented past the dash.
                sub = indent + len(lines[i][1]) - len(rest)
                lines[i] = (sub, rest)
                val, i = parse(lines, i, sub)
            else:
                val, i = scalar(rest), i + 1
            out.append(val)
        return out, i
    out = {}
    while i < len(lines) and lines[i][0] == indent:
        k, v = key_value(lines[i][1])
        v = v.strip()
        i += 1
        if v in ("|", "|-"):
            block = []
            while i < len(lines) and lines[i][0] > indent:
                block.append(lines[i][1])
                i += 1
            out[k] = "\n".join(block) + ("" if v == "|-" else "\n")
        elif v == "" and i < len(lines) and (lines[i][0] > indent or
                                             lines[i][1].startswith("- ")):
            out[k], i = parse(lines, i, lines[i][0])
        else:
            out[k] = scalar(v)
    return out, i


def main():
    lines = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for raw in f:
            text = raw.rstrip("\n").lstrip(" ")
            if not text.strip() or text.startswith("#"):
                continue
            indent = len(raw.rstrip("\n")) - len(text)
            lines.append((indent, re.sub(r"\s+#\s.*$", "", text).rstrip()))
    doc, _ = parse(lines, 0, lines[0][0])
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
