#!/usr/bin/env bash
# qemu-img bench over NBD: amiforge's NBD server against qemu-nbd on the same raw file, same
# run, rounds interleaved; prints requests/s and the ratio. Then (unless --no-jmh) the JMH
# pipeline benchmark (pipeline vs direct device calls).
#   benchmarks/compare-nbd.sh [--count N] [--rounds R] [--size BYTES] [--uncached] [--no-jmh]
# Needs qemu-img and qemu-nbd (Debian: qemu-utils) and python3 (for --uncached).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
jmh=1
args=()
for a in "$@"; do
  if [[ $a == --no-jmh ]]; then jmh=0; else args+=("$a"); fi
done
for tool in qemu-img qemu-nbd; do
  command -v "$tool" >/dev/null || { echo "compare-nbd: $tool is not installed (Debian package qemu-utils)" >&2; exit 2; }
done
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
# one reactor build, so the classpath names this checkout's modules, not stale ones in ~/.m2
mvn -B -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
cp="benchmarks/target/classes:$(cat "$cpfile")"
java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp")
"${java[@]}" io.amiforge.bench.nbd.QemuNbdComparison "${args[@]+"${args[@]}"}"
if [[ $jmh == 1 ]]; then
  # other work on a shared machine may hold JMH's lock: it only guards against overlapping runs
  "$JAVA_HOME/bin/java" -Djmh.ignoreLock=true --enable-native-access=ALL-UNNAMED -cp "$cp" org.openjdk.jmh.Main 'io.amiforge.bench.nbd.PipelineBenchmark' -wi 2 -i 3 -w 2s -r 3s -f 1
fi
