#!/usr/bin/env bash
# Bundle throughput: amiforge's Bundler vs `tar | pigz -p2 -6 | openssl enc -aes-128-cbc | tee >(sha1sum)
# | split -b 10M` (and gzip -6) on the same image in the same run. Prints MiB/s and ratios.
# Usage: benchmarks/compare-bundle.sh [SIZE_MIB=512] [ROUNDS=3] [THREADS=2]
# Needs: JDK 25, Maven, openssl, pigz, gzip, GNU tar/split/coreutils.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../dev/jdk.sh
source "$root/dev/jdk.sh"
export JAVA_HOME="$AMIFORGE_JAVA_HOME"
for tool in openssl pigz gzip tar split sha1sum; do
  command -v "$tool" >/dev/null || { echo "compare-bundle: '$tool' is not installed" >&2; exit 1; }
done
cd "$root"
cpfile="$root/benchmarks/target/bundle-bench.classpath"
mkdir -p "$root/benchmarks/target"
log="$root/benchmarks/target/compare-bundle-build.log"
build() {
  mvn -B -q "$@" -pl benchmarks -am -DskipTests package \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile="$cpfile" >"$log" 2>&1
}
if ! build -o && ! build; then
  echo "compare-bundle: build failed; the last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
work="${AMIFORGE_BENCH_DIR:-$root/benchmarks/target/bundle-bench}"
# Snapshot the project's own classes so that a rebuild during the run cannot pull them away.
lib="$work/lib"; rm -rf "$lib"; mkdir -p "$lib"
cp_entries=()
i=0
IFS=: read -r -a entries <<<"$root/benchmarks/target/classes:$(cat "$cpfile")"
for entry in "${entries[@]}"; do
  case "$entry" in
    "$root"/*) i=$((i + 1)); cp -r "$entry" "$lib/$i-$(basename "$entry")"; cp_entries+=("$lib/$i-$(basename "$entry")") ;;
    *) cp_entries+=("$entry") ;;
  esac
done
classpath="$(IFS=:; echo "${cp_entries[*]}")"
echo "machine: $(nproc) cores, $(date -u +%FT%TZ), $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$JAVA_HOME/bin/java" -cp "$classpath" \
  io.amiforge.bench.bundle.BundleThroughput "$work" "${1:-512}" "${2:-3}" "${3:-2}"
