#!/usr/bin/env python3
"""The disk's own durable write bandwidth: append fixed-size chunks, fdatasync after each.

This is the ceiling for acks=all on one node (every acknowledged byte must be on disk), so the
broker's acks=all throughput is reported as a fraction of it. Prints one JSON object.

usage: disk_sync.py --dir DIR [--total-mb 256] [--chunk-kb 1024]
"""

import argparse
import json
import os
import time

TOTAL_MB_MAX = 64 * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="directory on the disk to measure (a file is created and removed)")
    ap.add_argument("--total-mb", type=int, default=256)
    ap.add_argument("--chunk-kb", type=int, default=1024)
    a = ap.parse_args()
    total = min(max(a.total_mb, 1), TOTAL_MB_MAX) * 1024 * 1024
    chunk = os.urandom(max(a.chunk_kb, 1) * 1024)
    path = os.path.join(a.dir, f"disk-sync-{os.getpid()}.tmp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    syncs = []
    try:
        written = 0
        t0 = time.monotonic()
        while written < total:
            os.write(fd, chunk)
            s = time.monotonic()
            os.fdatasync(fd)
            syncs.append(time.monotonic() - s)
            written += len(chunk)
        elapsed = time.monotonic() - t0
    finally:
        os.close(fd)
        os.unlink(path)
    syncs.sort()
    print(json.dumps({
        "bytes": written, "chunk_bytes": len(chunk), "elapsed_s": round(elapsed, 4),
        "mb_per_s": round(written / (1024 * 1024) / elapsed, 2),
        "fdatasync_p50_ms": round(syncs[len(syncs) // 2] * 1000, 3),
        "fdatasync_p99_ms": round(syncs[min(len(syncs) - 1, int(len(syncs) * 0.99))] * 1000, 3),
    }))


if __name__ == "__main__":
    main()
