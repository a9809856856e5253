#!/usr/bin/env bash
# Fair NBD peer figures (issue 13): amiforge's NBD server, nbdkit's file plugin and qemu-nbd serve
# the same raw file and are driven by the same clients, rounds alternating:
#   fio --ioengine=nbd (libnbd, which sets TCP_NODELAY): random 4 KiB reads and writes, depth 16;
#   nbdcopy: stream the whole export to null: (read) and a file into the export (write).
# Durability is equal: every server acknowledges a write after pwrite(2) into the page cache and
# syncs only on NBD_CMD_FLUSH (nbdkit file, qemu-nbd --cache=writeback); qemu-nbd is also run
# with --cache=none --aio=io_uring (O_DIRECT) for its other strongest setting.
# Every measurement starts after a sync (untimed), so that none pays for dirty pages an earlier
# phase or server left behind.
# Prints one line per measurement, then median and range per server and workload, the load
# (uptime) per round and each server's peak RSS (VmHWM).
# SERVERS="..." picks servers; AMIFORGE_BEFORE_CP (a class path of an older build with
# ServeRawFile) adds it as amiforge-before; AMIFORGE_JAVA_OPTS are extra JVM options. A server named
# amiforge-vN (N a number) is this build started with the extra options in $AMIFORGE_OPTS_N (after the
# launcher's server options, config/server-jvm.options, which amiforge gets too), for
# same-run A/B comparisons of settings, e.g.
#   SERVERS="amiforge amiforge-v1 nbdkit" AMIFORGE_OPTS_1="-DinlineReadLimit=65536" benchmarks/compare-nbd-peers.sh
#   benchmarks/compare-nbd-peers.sh [--rounds R] [--seconds S] [--size MIB] [--dir DIR] [--cp CLASSPATH]
# Needs fio (with its nbd engine), nbdkit, qemu-nbd, nbdcopy and a built benchmarks module
# (the script builds it unless --cp names a class path).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
rounds=5 seconds=5 size=1024 dir="" cp=""
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --cp) cp=$2; shift 2 ;;
    *) echo "compare-nbd-peers: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in fio nbdkit qemu-nbd nbdcopy; do
  command -v "$tool" >/dev/null || { echo "compare-nbd-peers: $tool is not installed" >&2; exit 2; }
done
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "compare-nbd-peers: this fio has no nbd engine" >&2; exit 2; }
if [[ -z $cp ]]; then
  cpfile=$(mktemp)
  mvn -B -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
  cp="benchmarks/target/classes:$(cat "$cpfile")"
  rm -f "$cpfile"
fi
[[ -n $dir ]] || dir=$(mktemp -d)
mkdir -p "$dir"
disk=$dir/disk.raw src=$dir/src.raw
[[ -f $disk && $(stat -c %s "$disk") == $((size << 20)) ]] || head -c $((size << 20)) /dev/urandom > "$disk"
[[ -f $src && $(stat -c %s "$src") == $((size << 20)) ]] || head -c $((size << 20)) /dev/urandom > "$src"
out=$dir/results.tsv
: > "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_server() { # name port -> sets spid
  local name=$1 port=$2
  case $name in
    amiforge) # with the JVM options `amiforge nbd serve` gets from the launcher
      coproc AMI { exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED @config/server-jvm.options \
        ${AMIFORGE_JAVA_OPTS:-} -cp "$cp" \
        io.amiforge.bench.nbd.ServeRawFile "$disk" "$port"; }
      spid=$AMI_PID
      read -r _ _ <&"${AMI[0]}" ;;
    amiforge-blocking) # the pipeline consumer blocks at once instead of spinning 20 us and yielding 200 us
      coproc AMI { exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Damiforge.pipeline.wait=blocking \
        ${AMIFORGE_JAVA_OPTS:-} -cp "$cp" io.amiforge.bench.nbd.ServeRawFile "$disk" "$port"; }
      spid=$AMI_PID
      read -r _ _ <&"${AMI[0]}" ;;
    amiforge-v[0-9]*)
      opts_var=AMIFORGE_OPTS_${name#amiforge-v}
      coproc AMI { exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED @config/server-jvm.options ${!opts_var:-} \
        ${AMIFORGE_JAVA_OPTS:-} -cp "$cp" io.amiforge.bench.nbd.ServeRawFile "$disk" "$port"; }
      spid=$AMI_PID
      read -r _ _ <&"${AMI[0]}" ;;
    amiforge-before)
      coproc AMI { exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$AMIFORGE_BEFORE_CP" \
        io.amiforge.bench.nbd.ServeRawFile "$disk" "$port"; }
      spid=$AMI_PID
      read -r _ _ <&"${AMI[0]}" ;;
    nbdkit)
      nbdkit -f -p "$port" -i 127.0.0.1 file "$disk" & spid=$! ;;
    qemu-nbd-wb)
      qemu-nbd -f raw -b 127.0.0.1 -p "$port" -x bench -t --shared=16 --cache=writeback --aio=threads "$disk" & spid=$! ;;
    qemu-nbd-none-uring)
      qemu-nbd -f raw -b 127.0.0.1 -p "$port" -x bench -t --shared=16 --cache=none --aio=io_uring "$disk" & spid=$! ;;
  esac
  pids+=("$spid")
  for _ in $(seq 100); do nbdinfo --size "nbd://127.0.0.1:$port/bench" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "compare-nbd-peers: $name did not start" >&2; exit 1
}

fio_iops() { # uri rw -> IOPS
  local f=$dir/fio.json
  fio --name=nbd --ioengine=nbd --uri="$1" --rw="$2" --bs=4k --iodepth=16 --size="${size}M" \
    --runtime="$seconds" --time_based --ramp_time=1 --norandommap --randrepeat=0 \
    --output-format=json --output="$f" >/dev/null
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["jobs"][0]; print(round(d["read"]["iops"]+d["write"]["iops"]))' "$f"
}

mibs() { # seconds -> MiB/s for the export size
  python3 -c 'import sys; print(round(float(sys.argv[1]) and int(sys.argv[2]) / float(sys.argv[1]), 1))' "$1" "$size"
}

servers=(${SERVERS:-amiforge nbdkit qemu-nbd-wb qemu-nbd-none-uring})
[[ -z ${AMIFORGE_BEFORE_CP:-} || -n ${SERVERS:-} ]] || servers+=(amiforge-before)
port=10950
for r in $(seq "$rounds"); do
  echo "round $r load: $(uptime)" | tee -a "$dir/load.txt"
  # alternate the order every round so no server always runs first
  if ((r % 2 == 0)); then order=("${servers[@]}"); else order=(); for ((i=${#servers[@]}-1; i>=0; i--)); do order+=("${servers[i]}"); done; fi
  for s in "${order[@]}"; do
    port=$((port + 1))
    start_server "$s" "$port"
    uri="nbd://127.0.0.1:$port/bench"
    seconds_saved=$seconds; seconds=2  # unmeasured warm-up (the JVM's JIT), the same for every server
    fio_iops "$uri" randread >/dev/null; fio_iops "$uri" randwrite >/dev/null
    # and both streams once: a fresh JVM's first 1 GiB stream runs at 0.65-0.7x of its later ones while
    # the long-read path compiles (measured 2026-12-05), which is start-up, not the server's steady state
    nbdcopy "$uri" null:; nbdcopy --flush "$src" "$uri"
    seconds=$seconds_saved
    # sync (untimed) before each measurement: no phase pays for the writeback of what an earlier one left
    # dirty (random writes dirty most of the file, more of it for a faster server), none inherits another's
    sync; rr=$(fio_iops "$uri" randread)
    sync; rw=$(fio_iops "$uri" randwrite)
    sync; t0=$(date +%s.%N); nbdcopy "$uri" null:; t1=$(date +%s.%N)
    cr=$(mibs "$(echo "$t1 - $t0" | bc -l)")
    sync; t0=$(date +%s.%N); nbdcopy --flush "$src" "$uri"; t1=$(date +%s.%N)
    cw=$(mibs "$(echo "$t1 - $t0" | bc -l)")
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status")
    if [[ $s == amiforge* ]]; then exec {AMI[1]}>&-; fi
    kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
    printf '%s\t%s\trandread-iops\t%s\n%s\t%s\trandwrite-iops\t%s\n%s\t%s\tnbdcopy-read-MiBs\t%s\n%s\t%s\tnbdcopy-write-MiBs\t%s\n%s\t%s\tpeak-rss-KiB\t%s\n' \
      "$r" "$s" "$rr" "$r" "$s" "$rw" "$r" "$s" "$cr" "$r" "$s" "$cw" "$r" "$s" "$rss" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r, s, w, v = line.split("\t")
    rows[(w, s)].append(float(v))
works = sorted({w for w, _ in rows})
for w in works:
    base = statistics.median(rows[(w, "amiforge")])
    for (w2, s), v in sorted(rows.items()):
        if w2 != w:
            continue
        m = statistics.median(v)
        print(f"{w:20s} {s:20s} median {m:10.1f}  range {min(v):.1f}-{max(v):.1f}  amiforge/this {base / m:.2f}x")
PY
