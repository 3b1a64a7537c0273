#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/fuzz/make_seeds.py: writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/,
# from valid files (Python's standard library only, independent of graft's writers):
#   idx          small plain IDX files of every dtype and rank 1-3, the first Fashion-MNIST images and
#                labels (if the dataset-fashion-mnist package is installed), and gzip versions of some
#   idx_gz       the plain IDX files (the target gzips them itself)
#   safetensors  tests/io/fixtures/*.safetensors and a few small files with metadata
#   csv          one option byte (bit 0: header; bits 1-3: delimiter index) + a CSV text
#   graph        short byte programs (any bytes decode; these start from a spread of op choices)
# The corpus directories also hold, under their SHA-1 names, the inputs of the ten-minute fuzzing runs that
# cover an edge the seeds do not (libFuzzer -set_cover_merge=1 -use_counters=0); the replay tests run them all.
#   python3 tests/fuzz/make_seeds.py      (rewrites only the named seeds, keeps the merged inputs)
import gzip
import json
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
FASHION = "/usr/share/datasets/fashion-mnist"


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_seeds():
    files = {
        "u8_2x3": idx(0x08, [2, 3], bytes([0, 1, 2, 253, 254, 255])),
        "u8_5": idx(0x08, [5], bytes(range(5))),
        "u8_2x2x2": idx(0x08, [2, 2, 2], bytes(range(8))),
        "u8_0x3": idx(0x08, [0, 3], b""),
        "i32_3": idx(0x0C, [3], struct.pack(">3i", -1, 0, 2**31 - 1)),
        "f32_2x2": idx(0x0D, [2, 2], struct.pack(">4f", 0.5, -1.0, float("inf"), float("nan"))),
        "f64_2": idx(0x0E, [2], struct.pack(">2d", 1e-300, -2.5)),
    }
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        path = os.path.join(FASHION, name)
        if not os.path.exists(path):
            continue
        with gzip.open(path, "rb") as f:
            raw = f.read()
        rank = raw[3]
        dims = [struct.unpack(">I", raw[4 + 4 * i:8 + 4 * i])[0] for i in range(rank)]
        keep = 2 if rank == 3 else 10
        per = 1
        for d in dims[1:]:
            per *= d
        files["fashion_" + name.split("-")[1]] = idx(0x08, [keep] + dims[1:], raw[4 + 4 * rank:4 + 4 * rank + keep * per])
    for name, data in files.items():
        put("idx", name + ".idx", data)
        put("idx_gz", name + ".idx", data)
    for name in ("u8_2x3", "f32_2x2", "fashion_images"):
        if name in files:
            put("idx", name + ".idx.gz", gzip.compress(files[name], mtime=0))
    # two gzip members, as `cat a.gz b.gz` makes
    put("idx", "u8_2x3_two_members.idx.gz",
        gzip.compress(files["u8_2x3"][:10], mtime=0) + gzip.compress(files["u8_2x3"][10:], mtime=0))


def safetensors(entries, metadata=None):
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, dtype, shape, payload in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds():
    fixtures = os.path.join(HERE, "..", "io", "fixtures")
    for name in sorted(os.listdir(fixtures)):
        if name.endswith(".safetensors"):
            shutil.copy(os.path.join(fixtures, name), os.path.join(CORPUS, "safetensors", name))
    put("safetensors", "empty.safetensors", safetensors([]))
    put("safetensors", "meta_only.safetensors", safetensors([], {"epoch": "3", "lr": "0.1"}))
    put("safetensors", "one_f32.safetensors", safetensors([("w", "F32", [2], struct.pack("<2f", 1.5, -2.0))]))
    put("safetensors", "mixed.safetensors", safetensors(
        [("a", "U8", [3], bytes([1, 2, 3])), ("b", "I32", [], struct.pack("<i", -7)),
         ("c", "F64", [1, 2], struct.pack("<2d", 0.25, 1e300)), ("d", "F32", [0], b"")],
        {"note": "caf\u00e9 \u2713"}))


def csv_seeds():
    texts = [
        (1, 0, "a,b,c\n1,2,3\n4.5,-6e-3,7\n"),
        (0, 0, "1,2\n3,4\n"),
        (1, 1, "x;y\n1.5;2\n-0;+3\n"),
        (1, 2, "p\tq\n1\t2\n"),
        (1, 0, "\"na,me\",\"qu\"\"ote\"\n1,2\n"),
        (1, 0, "a,b\r\n1,nan\r\n-inf,inf\r\n"),
        (1, 0, "\xef\xbb\xbfa,b\n1e308,4.9e-324\n"),
        (0, 3, "1|2|3\n"),
        (1, 4, "a b\n1 2\n"),
        (1, 0, "a,\"b\nB\"\n1,2\n"),
    ]
    for i, (header, delim, text) in enumerate(texts):
        put("csv", "seed_%02d.csv" % i, bytes([header | (delim << 1)]) + text.encode("latin-1"))


def graph_seeds():
    rng = random.Random(20261127)
    for i in range(24):
        put("graph", "seed_%02d.bin" % i, bytes(rng.randrange(256) for _ in range(rng.randrange(24, 96))))


if __name__ == "__main__":
    for t in ("idx", "idx_gz", "safetensors", "csv", "graph"):
        os.makedirs(os.path.join(CORPUS, t), exist_ok=True)
    idx_seeds()
    safetensors_seeds()
    csv_seeds()
    graph_seeds()
