/**
 * An interpreter of the Intel 80386 in real mode: {@link io.amiforge.x86.cpu.Cpu} over
 * {@link io.amiforge.x86.cpu.Memory} (1 MiB + HMA with the A20 gate, extended memory for
 * physical accessors), with a decode cache keyed by physical address, lazy arithmetic flags,
 * and a {@link io.amiforge.x86.cpu.CpuHost} for ports, BIOS services and kernel hand-off.
 *
 * <p>Entry points are {@code Cpu}, {@code Memory}, {@code CpuHost} and {@code StopReason}; the
 * rest is package-private: {@code CpuState} (registers, segments, lazy flags), {@code Decoder}
 * and {@code DecodeCache}, {@code Bus} (segmented memory access), {@code Exec} (the current
 * instruction) and one final class of static handlers per instruction group ({@code Alu},
 * {@code Shifts}, {@code Bits}, {@code MulDiv}, {@code Bcd}, {@code DataMove}, {@code Strings},
 * {@code Control}, {@code FlagOps}, {@code SystemOps}), dispatched from {@code OneByte} and
 * {@code TwoByte}.
 */
package io.amiforge.x86.cpu;
