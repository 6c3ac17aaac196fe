#!/bin/sh
# make bench, tensor-pack part: pack a 1 GiB float32 .npy into shared memory and unpack it back
# to a file, against a memcpy of 1 GiB measured in the same run (DESIGN.md §4: ≥ 50 % of memcpy
# bandwidth). The baseline is the best of three memcpys into new memory (mapped with MAP_POPULATE
# inside the timing), since a new segment's pages must be allocated and zeroed too; the
# page-by-page and already-touched memcpy figures are printed beside it. Prints a markdown table row per measure.
set -eu
bin=${BIN:-bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/cpipes-bench-XXXXXX")
trap 'rm -rf "$work" /dev/shm/cpipes-bench-$$; "$bin/tensor-pack" --gc --older-than 0 -q >/dev/null 2>&1 || true' EXIT
cc -O2 -o "$work/memcpy" bench/memcpy.c
size=1073741824
python3 - "$work/big.npy" "$size" <<'PY'
import struct, sys
path, size = sys.argv[1], int(sys.argv[2])
count = size // 4
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % count
header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    block = b"\x00\x00\x80\x3f" * (1 << 20)
    for _ in range(size // len(block)):
        f.write(block)
PY
cat "$work/big.npy" > /dev/null   # into the page cache, as memcpy's source is in memory
set -- $("$work/memcpy" "$size")
fresh=$1 warm=$2 populated=$3
# Three rounds of pack then unpack, each into a new file as a pipeline would write; the median
# of each is reported (this VM's host now and then hands out new pages slowly, and one round
# can take several times as long).
stamps=""
for round in 1 2 3; do
  t0=$(date +%s.%N)
  "$bin/tensor-pack" "$work/big.npy" > "$work/packed.ndjson"
  t1=$(date +%s.%N)
  "$bin/tensor-pack" --unpack -o "$work/out$round" < "$work/packed.ndjson" > /dev/null
  t2=$(date +%s.%N)
  stamps="$stamps $t0 $t1 $t2"
done
# The file system's own pace for the same bytes: cp of a 1 GiB shared-memory file into the
# same directory (unpack cannot be faster than the disk's page cache takes them).
head -c "$size" "$work/big.npy" > /dev/shm/cpipes-bench-$$
c0=$(date +%s.%N)
cp /dev/shm/cpipes-bench-$$ "$work/cp.bin"
c1=$(date +%s.%N)
rm -f /dev/shm/cpipes-bench-$$
python3 - "$fresh" "$warm" "$populated" "$size" "$c0" "$c1" "$stamps" <<'PY'
import statistics, sys
fresh, warm, populated, size, c0, c1 = map(float, sys.argv[1:7])
gib = size / 2**30
stamps = list(map(float, sys.argv[7].split()))
pack = statistics.median(stamps[k + 1] - stamps[k] for k in range(0, len(stamps), 3))
unpack = statistics.median(stamps[k + 2] - stamps[k + 1] for k in range(0, len(stamps), 3))
def row(name, secs):
    print(f"| {name} | {gib / secs:.2f} GiB/s ({secs * 1000:.0f} ms) | {gib / populated:.2f} GiB/s into new memory"
          f" ({gib / fresh:.2f} page by page, {gib / warm:.2f} into touched memory) | {populated / secs * 100:.0f} % |")
row("tensor-pack 1 GiB npy → shm (whole process, median of 3)", pack)
row("tensor-pack --unpack 1 GiB shm → npy file (whole process, median of 3)", unpack)
print(f"| tensor-pack --unpack 1 GiB against cp of the same bytes to the same disk | {gib / unpack:.2f} GiB/s"
      f" | cp: {gib / (c1 - c0):.2f} GiB/s ({(c1 - c0) * 1000:.0f} ms) | {(c1 - c0) / unpack * 100:.0f} % |")
PY
