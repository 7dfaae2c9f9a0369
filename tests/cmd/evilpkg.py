"""evilpkg.py KIND OUT SRC: write a hostile or broken package for tests.

SRC is a directory holding a good package's files (adapter.yaml, the GGUF,
SHA256SUMS).  KIND: traversal, absolute, symlink, device, nomanifest,
badsum, truncated, noyaml.
"""
import hashlib
import io
import os
import sys
import tarfile

kind, out, src = sys.argv[1], sys.argv[2], sys.argv[3]


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


files = {n: open(os.path.join(src, n), "rb").read() for n in sorted(os.listdir(src))}
if kind == "badsum":
    files["adapter.yaml"] += b"# changed after the sums were made\n"
if kind == "noyaml":
    del files["adapter.yaml"]
    files["SHA256SUMS"] = b"".join(
        b"%s  %s\n" % (hashlib.sha256(d).hexdigest().encode(), n.encode())
        for n, d in files.items() if n != "SHA256SUMS")
if kind == "nomanifest":
    del files["SHA256SUMS"]

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as tar:
    for name, data in files.items():
        add_bytes(tar, name, data)
    if kind == "traversal":
        add_bytes(tar, "../escaped.txt", b"outside\n")
    if kind == "absolute":
        add_bytes(tar, "/tmp/loco-absolute.txt", b"outside\n")
    if kind == "symlink":
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../../etc/passwd"
        tar.addfile(link)
    if kind == "device":
        dev = tarfile.TarInfo("dev")
        dev.type = tarfile.CHRTYPE
        dev.devmajor, dev.devminor = 1, 3
        tar.addfile(dev)
data = buf.getvalue()
if kind == "truncated":
    data = data[: len(data) * 2 // 3]
open(out, "wb").write(data)
