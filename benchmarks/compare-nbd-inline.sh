#!/usr/bin/env bash
# Random 4 KiB I/O at depth 16 (fio's nbd engine) against ServeRawFile variants and nbdkit's file
# plugin on one raw file, servers alternating within each round; per round each server is started,
# warmed with one fio run and measured with a second. Prints "SERVER IOPS LOAD" per measurement
# and the median and range per server (benchmarks/results/nbd.md, inline reads).
#   benchmarks/compare-nbd-inline.sh --cp CLASSPATH [--before-cp CLASSPATH] [--rounds 5]
#       [--seconds 3] [--rw randread] [--size MIB] [--dir DIR]
# Servers (SERVERS, default "inline pipeline nbdkit"): inline = -DinlineReadLimit=65536,
# pipeline = -DinlineReadLimit=0, before = --before-cp's ServeRawFile with its defaults.
set -euo pipefail
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
rounds=5 seconds=3 rw=randread size=256 dir="" cp="" before_cp=""
while (($#)); do
  case $1 in
    --cp) cp=$2; shift 2 ;;
    --before-cp) before_cp=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rw) rw=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "compare-nbd-inline: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $cp ]] || { echo "compare-nbd-inline: --cp CLASSPATH (benchmarks classes and dependencies) is required" >&2; exit 2; }
[[ -n $dir ]] || dir=$(mktemp -d)
mkdir -p "$dir"
disk=$dir/disk.raw
[[ -f $disk && $(stat -c %s "$disk") == $((size << 20)) ]] || head -c $((size << 20)) /dev/urandom >"$disk"
pid=""
trap '[[ -z $pid ]] || kill "$pid" 2>/dev/null || true' EXIT
port=11300
echo "before: $(uptime)"
for r in $(seq "$rounds"); do
  for s in ${SERVERS:-inline pipeline nbdkit}; do
    port=$((port + 1))
    case $s in
      inline) "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -DinlineReadLimit=65536 -cp "$cp" \
                io.amiforge.bench.nbd.ServeRawFile "$disk" "$port" < <(sleep $((4 * seconds + 30))) >/dev/null 2>&1 & pid=$! ;;
      pipeline) "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -DinlineReadLimit=0 -cp "$cp" \
                io.amiforge.bench.nbd.ServeRawFile "$disk" "$port" < <(sleep $((4 * seconds + 30))) >/dev/null 2>&1 & pid=$! ;;
      before) "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$before_cp" \
                io.amiforge.bench.nbd.ServeRawFile "$disk" "$port" < <(sleep $((4 * seconds + 30))) >/dev/null 2>&1 & pid=$! ;;
      nbdkit) nbdkit -f -p "$port" -i 127.0.0.1 file "$disk" & pid=$! ;;
      *) echo "compare-nbd-inline: unknown server $s" >&2; exit 2 ;;
    esac
    for _ in $(seq 100); do nbdinfo --size "nbd://127.0.0.1:$port/bench" >/dev/null 2>&1 && break; sleep 0.1; done
    for pass in warm measure; do
      fio --name=nbd --ioengine=nbd --uri="nbd://127.0.0.1:$port/bench" --rw="$rw" --bs=4k --iodepth=16 \
        --size="${size}M" --runtime="$seconds" --time_based --norandommap --output-format=json --output="$dir/fio.json" >/dev/null
    done
    iops=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["jobs"][0]; print(round(d["read"]["iops"]+d["write"]["iops"]))' "$dir/fio.json")
    echo "$s $iops $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$dir/inline.txt"
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
  done
done
echo "after:  $(uptime)"
python3 - "$dir/inline.txt" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    server, iops, _ = line.split()
    runs[server].append(int(iops))
for server, v in runs.items():
    print(f"{server:10s} median {statistics.median(v):8.0f}  range {min(v)}-{max(v)}  runs {v}")
PY
