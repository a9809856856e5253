#!/bin/bash
# GRUB 2 and SYSLINUX, MBR to the point QEMU can be timed to, in process (amiforge's x86
# simulator, BootloaderBootBenchmark) vs QEMU TCG + SeaBIOS on the same raw image, alternating
# rounds in one run. GRUB: to the jump into the kernel's 32-bit entry (QEMU: a gdb hardware
# breakpoint at 0x100000 with ESI pointing at boot_params' "HdrS"); SYSLINUX: to the tiny
# kernel's write to the isa-debug-exit port. Prints wall and CPU time per round and the load, and
# QEMU's own start-up + SeaBIOS time to an MBR that exits at once (what QEMU's figure holds
# besides the loader).
#
# usage: benchmarks/compare-boot-qemu.sh [ROUNDS] [BOOTS]   (jar: benchmarks/target/benchmarks.jar)
set -euo pipefail
ROUNDS=${1:-5}
BOOTS=${2:-10}
JAR=${JAR:-benchmarks/target/benchmarks.jar}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
for tool in qemu-system-x86_64 gdb /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "compare-boot-qemu: $tool is not installed" >&2; exit 2; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
QEMU=(qemu-system-x86_64 -accel tcg -m 256 -display none -serial none -monitor none)

qemu_grub() {  # prints "wall_s cpu_s"
    local port=$((20000 + RANDOM % 20000))
    cat > "$WORK/gdb.cmd" <<GDB
set pagination off
target remote :$port
hbreak *0x100000 if *(unsigned int*)(\$esi+0x202) == 0x53726448
continue
kill
quit
GDB
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$WORK/qemu.time" "${QEMU[@]}" -drive "file=$WORK/grub.img,format=raw" \
        -gdb "tcp::$port" -S &
    local qpid=$!
    sleep 0.05
    gdb -q -batch -x "$WORK/gdb.cmd" >/dev/null 2>&1 || true
    wait $qpid || true
    end=$(date +%s.%N)
    tail -1 "$WORK/qemu.time" | awk -v s="$start" -v e="$end" '{printf "%.3f %.3f\n", e - s, $1 + $2}'
}

qemu_until_exit() {  # IMAGE: QEMU boots it until the guest writes isa-debug-exit; prints "wall_s cpu_s"
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$WORK/qemu.time" "${QEMU[@]}" -drive "file=$1,format=raw" \
        -device isa-debug-exit,iobase=0xf4 -no-reboot || true
    end=$(date +%s.%N)
    tail -1 "$WORK/qemu.time" | awk -v s="$start" -v e="$end" '{printf "%.3f %.3f\n", e - s, $1 + $2}'
}

qemu_syslinux() {
    qemu_until_exit "$WORK/syslinux.img"
}

qemu_baseline() {  # QEMU start-up and SeaBIOS to the MBR: an MBR that exits at once (mov al,0; out 0xf4,al; hlt)
    python3 -c "import sys; b=bytearray(1<<20); b[0:5]=bytes([0xB0,0,0xE6,0xF4,0xF4]); b[510:512]=b'\x55\xaa'; sys.stdout.buffer.write(b)" \
        > "$WORK/exit.img"
    qemu_until_exit "$WORK/exit.img"
}

echo "compare-boot-qemu: $ROUNDS rounds, $BOOTS boots per JVM, $(date -u '+%F %H:%M UTC'), $(nproc) cores"
for r in $(seq 1 "$ROUNDS"); do
    for loader in grub syslinux; do
        echo "round $r $loader load $(cut -d' ' -f1 /proc/loadavg)"
        "$JAVA" -cp "$JAR" io.amiforge.bench.cpu.BootloaderBootBenchmark "$loader" "$BOOTS" "$WORK/$loader.img" 2>&1 \
            | sed 's/^/  amiforge: /'
        if [ "$loader" = grub ]; then read -r wall cpu < <(qemu_grub); else read -r wall cpu < <(qemu_syslinux); fi
        echo "  qemu tcg: ${wall} s wall, ${cpu} s CPU (whole process: start-up, SeaBIOS, the loader)"
    done
    read -r wall cpu < <(qemu_baseline)
    echo "  qemu tcg start-up + SeaBIOS to the MBR alone: ${wall} s wall, ${cpu} s CPU"
done
