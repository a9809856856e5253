#!/usr/bin/env bash
# Builds the issue-2 workload (1 GiB base, 63 layers each rewriting 1% of random 4 KiB blocks)
# as qcow2 chains with qemu-img (64 KiB and 4 KiB clusters) and in the amiforge snapshot store,
# then, in the same run:
#   - reads every block in order: `qemu-img bench -d 16 -s 4K -S 4K -t writeback` (page cache)
#     on raw, depth 1 and depth 64, vs our single-threaded read of every block;
#   - flattens: `qemu-img convert -O raw` of the 64-deep chain vs our flatten and export;
#   - `qemu-img create -b` on the 64-deep chain vs our snapshot create;
# and prints our/qemu ratios. Usage: benchmarks/compare-qemu.sh [WORKDIR] (needs ~8 GiB free).
# AMIFORGE_BENCH_OPTS=-Damiforge.bench.size=67108864 makes a quick smaller run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/dev/jdk.sh"
JAVA="$AMIFORGE_JAVA_HOME/bin/java"
JAR="$root/benchmarks/target/benchmarks.jar"
if [[ ! -f "$JAR" ]]; then
  (cd "$root" && JAVA_HOME="$AMIFORGE_JAVA_HOME" mvn -B -q -ntp -pl benchmarks -am package -DskipTests)
fi
command -v qemu-img >/dev/null || { echo "compare-qemu.sh: qemu-img not found (Debian package qemu-utils)" >&2; exit 2; }
work="${1:-$(mktemp -d /tmp/amiforge-qemu.XXXXXX)}"
mkdir -p "$work"
trap '[[ -z "${1:-}" ]] && rm -rf "$work"' EXIT
run() { "$JAVA" ${AMIFORGE_BENCH_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$JAR" io.amiforge.bench.store.CompareRunner "$@"; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

echo "== building the base image and layer lists in $work"
run layers "$work"
blocks=$(( $(stat -c %s "$work/base.raw") / 4096 ))

declare -A R
for cs in 65536 4096; do
  echo "== qcow2 chain, cluster size $cs"
  qemu-img convert -q -f raw -O qcow2 -o cluster_size=$cs "$work/base.raw" "$work/c$cs-1.qcow2"
  for n in $(seq 1 63); do
    prev="$work/c$cs-$n.qcow2"; next="$work/c$cs-$((n + 1)).qcow2"
    qemu-img create -q -f qcow2 -o cluster_size=$cs -b "$prev" -F qcow2 "$next"
    args=()
    while read -r b; do args+=(-c "write -P $((n % 251 + 1)) $((b * 4096)) 4k"); done < "$work/layer-$n.txt"
    qemu-io -f qcow2 "${args[@]}" "$next" >/dev/null
  done
  for d in 1 64; do
    t=$(qemu-img bench -f qcow2 -c "$blocks" -d 16 -s 4096 -S 4096 -t writeback -i threads "$work/c$cs-$d.qcow2" \
        | sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')
    R[qemu_c${cs}_d$d]=$(echo "$blocks / $t" | bc -l)
    printf "qemu-img bench, %s-byte clusters, depth %s: %.0f ops/s\n" "$cs" "$d" "${R[qemu_c${cs}_d$d]}"
  done
done
t=$(qemu-img bench -f raw -c "$blocks" -d 16 -s 4096 -S 4096 -t writeback -i threads "$work/base.raw" \
    | sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')
R[qemu_raw]=$(echo "$blocks / $t" | bc -l)
printf "qemu-img bench, raw: %.0f ops/s\n" "${R[qemu_raw]}"
t=$(secs qemu-img convert -f qcow2 -O raw "$work/c65536-64.qcow2" "$work/convert.raw")
R[qemu_convert]=$(echo "$blocks * 4096 / 1048576 / $t" | bc -l)
printf "qemu-img convert -O raw of the 64-deep chain (64 KiB clusters): %.0f MiB/s\n" "${R[qemu_convert]}"
rm -f "$work/convert.raw"
t=$(secs qemu-img create -q -f qcow2 -b "$work/c65536-64.qcow2" -F qcow2 "$work/c65536-65.qcow2")
R[qemu_create_us]=$(echo "$t * 1000000" | bc -l)
printf "qemu-img create -b on the 64-deep chain: %.0f us\n" "${R[qemu_create_us]}"
rm -f "$work"/c*.qcow2

echo "== amiforge snapshot store"
while read -r key value; do
  R[$key]=$value
  echo "$key $value"
done < <(run measure "$work")

echo "== ratios (ours / qemu; > 1 means we are faster, except for latency)"
ratio() { printf "%-60s %8.2f\n" "$1" "$(echo "$2 / $3" | bc -l)"; }
ratio "flat depth 64 / qemu 64 KiB chain depth 64 (target >= 5)" "${R[read_flat_depth64_ops]}" "${R[qemu_c65536_d64]}"
ratio "flat depth 64 / qemu 4 KiB chain depth 64 (target >= 20)" "${R[read_flat_depth64_ops]}" "${R[qemu_c4096_d64]}"
ratio "flat depth 1 / qemu raw (target >= 1)" "${R[read_flat_depth1_ops]}" "${R[qemu_raw]}"
ratio "flat depth 64 / flat depth 1 (target >= 0.9)" "${R[read_flat_depth64_ops]}" "${R[read_flat_depth1_ops]}"
ratio "walk depth 64 / qemu 64 KiB chain depth 64" "${R[read_walk_depth64_ops]}" "${R[qemu_c65536_d64]}"
ratio "flatten / qemu-img convert (target >= 2)" "${R[flatten_depth64_mibs]}" "${R[qemu_convert]}"
ratio "export / qemu-img convert" "${R[export_depth64_mibs]}" "${R[qemu_convert]}"
ratio "snapshot create latency / qemu-img create -b (lower is better)" "${R[snapshot_create_depth64_us]}" "${R[qemu_create_us]}"
