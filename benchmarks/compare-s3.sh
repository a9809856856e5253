#!/usr/bin/env bash
# S3ObjectStore vs `/usr/bin/aws s3 cp`: upload (putFile) and cold read (parallel ranged GETs) of the
# same bytes to the same throw-away Ceph RGW on this machine, alternating, in the same run.
# Usage: benchmarks/compare-s3.sh [SIZE_MIB=256] [ROUNDS=7] [more S3VersusAwsCli arguments]
# (JVM options for the benchmark's JVM, e.g. a heap limit, in JAVA_OPTS)
# S3_BENCH_CLASS=io.amiforge.bench.s3.RemoteStoreFigures measures the snapshot store on the gateway instead
# (snapshot create and cold read vs aws s3 cp, warm reads vs the local store, commit latency with 2 and 8 writers).
# Needs: JDK 25, Maven, ceph-mon ceph-osd radosgw ceph-common (Debian 12), awscli, ../shared/ceph-rgw.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../dev/jdk.sh
source "$root/dev/jdk.sh"
export JAVA_HOME="$AMIFORGE_JAVA_HOME"
for tool in radosgw ceph-mon ceph-osd /usr/bin/aws /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compare-s3: '$tool' is not installed" >&2; exit 1; }
done
scripts="$root/../shared/ceph-rgw"
[ -x "$scripts/start-ceph-rgw.sh" ] || { echo "compare-s3: $scripts/start-ceph-rgw.sh not found" >&2; exit 1; }
cd "$root"
cpfile="$root/benchmarks/target/s3-bench.classpath"
mkdir -p "$root/benchmarks/target"
log="$root/benchmarks/target/compare-s3-build.log"
build() {
  mvn -B -q "$@" -pl benchmarks -am -DskipTests package \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile="$cpfile" >"$log" 2>&1
}
if ! build -o && ! build; then
  echo "compare-s3: build failed; the last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
work="$(mktemp -d /tmp/amiforge-s3-bench.XXXXXX)"
trap '"$scripts/stop-ceph-rgw.sh" "$work/ceph"; rm -rf "$work"' EXIT
# Overwritten objects go to RGW's garbage collection; without a short GC period the memstore OSD
# (4 GiB) fills up after a few rounds and writes stall.
CEPH_EXTRA_CONF=$'rgw gc obj min wait = 0\nrgw gc processor period = 5\nrgw gc processor max time = 5' \
  "$scripts/start-ceph-rgw.sh" "$work/ceph" "${RGW_PORT:-17490}" >"$work/env"
endpoint="$(sed -n 's/^S3_ENDPOINT=//p' "$work/env")"
echo "machine: $(nproc) cores, $(date -u +%FT%TZ), $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086 # JAVA_OPTS holds several options
"$JAVA_HOME/bin/java" ${JAVA_OPTS:-} -cp "$root/benchmarks/target/classes:$(cat "$cpfile")" \
  "${S3_BENCH_CLASS:-io.amiforge.bench.s3.S3VersusAwsCli}" "$endpoint" "$work/data" "${1:-256}" "${2:-7}" "${@:3}"
echo "radosgw RSS after the run: $(( $(ps -o rss= -p "$(awk '$2=="client.rgw"{print $1}' "$work/ceph/pids")") / 1024 )) MiB"
