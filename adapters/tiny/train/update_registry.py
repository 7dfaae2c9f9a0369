"""Write each adapter file's SHA-256 into adapters/tiny/registry.yaml."""

import hashlib
import os
import re

from common import TINY

path = os.path.join(TINY, "registry.yaml")
text = open(path).read()


def fix(m):
    f = os.path.join(TINY, m.group(2))
    h = hashlib.sha256(open(f, "rb").read()).hexdigest()
    return f"{m.group(1)}{m.group(2)}\n{m.group(3)}sha256: {h}"


text2 = re.sub(r"(\n\s+file: )(\S+)\n(\s+)sha256: \S+", fix, text)
open(path, "w").write(text2)
print("registry.yaml:", "updated" if text2 != text else "unchanged")
