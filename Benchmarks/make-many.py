#!/usr/bin/env python3
"""A tree of many small files for the memory-per-file benchmark (issue 16): COUNT files (default 300,000) of
0.5-1.5 KiB of text-like bytes, 1,000 to a folder, the same names and sizes on every machine (seeded).

    python3 Benchmarks/make-many.py DIR [COUNT]
"""
import os, random, sys
root = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
random.seed(16)
words = b"timestamp level info warn error collector index shard replica snapshot nginx access upstream".split()
text = b"\n".join(b" ".join(random.choice(words) for _ in range(10)) for _ in range(4000))
total = 0
for index in range(count):
    folder = os.path.join(root, f"d{index // 100_000:02d}", f"s{(index // 1000) % 100:02d}")
    if index % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    size = random.randint(512, 1536)
    start = random.randrange(0, len(text) - size)
    with open(os.path.join(folder, f"log-{index:07d}.txt"), "wb") as f:
        f.write(text[start:start + size])
    total += size
print(f"{count} files, {total} bytes")
