#!/usr/bin/env python3
"""The benchmarks' 1 GiB tree of about 20,000 files (80 % 0.5-16 KiB, 19.8 % 32-192 KiB, 0.2 % 4-16 MiB;
60 % text-like, 40 % random bytes): the same names and sizes on every machine (seeded); the random bytes differ.

    python3 Benchmarks/make-tree.py DIR
"""
import os, random, sys
root = sys.argv[1]
random.seed(42)
words = [w.strip() for w in "timestamp level info warn error collector index shard replica snapshot repository \
nginx access upstream request latency bytes status user agent host path query cluster node heap gc pool thread".split()]
text = "\n".join(" ".join(random.choice(words) for _ in range(12)) + f" {i} {random.random():.6f}" for i in range(60000)).encode()
noise = os.urandom(8 << 20)
pools = [text, noise]
target, total, index = 1 << 30, 0, 0
while total < target:
    r = random.random()
    # About 20,000 files: 80% small (0.5-16 KiB), 19.8% medium (32-192 KiB), 0.2% large (4-16 MiB).
    size = random.randint(512, 16 << 10) if r < 0.80 else random.randint(32 << 10, 192 << 10) if r < 0.998 else random.randint(4 << 20, 16 << 20)
    size = min(size, target - total)
    folder = os.path.join(root, f"d{index % 40:02d}", f"s{(index // 40) % 25:02d}")
    os.makedirs(folder, exist_ok=True)
    pool = pools[0] if random.random() < 0.6 else pools[1]
    with open(os.path.join(folder, f"f{index:05d}.dat"), "wb") as f:
        remaining = size
        while remaining:
            start = random.randrange(0, len(pool) - 1)
            piece = pool[start:start + remaining]
            f.write(piece)
            remaining -= len(piece)
    total += size
    index += 1
print(f"{index} files, {total} bytes")
