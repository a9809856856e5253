/**
 * An interpreter of the Intel 80386 in real and protected mode (CPL 0, 32-bit paging):
 * {@link io.amiforge.x86.cpu.Cpu} over {@link io.amiforge.x86.cpu.Memory} (1 MiB + HMA in one
 * array with the A20 gate, extended memory in chunks), with a decode cache keyed by physical
 * address and code size, lazy arithmetic flags, and a {@link io.amiforge.x86.cpu.CpuHost} for
 * ports, BIOS services, timer interrupts and kernel hand-off.
 *
 * <p>Entry points are {@code Cpu}, {@code Memory}, {@code CpuHost} and {@code StopReason}; the
 * rest is package-private: {@code CpuState} (registers, segment descriptor caches, lazy
 * flags), {@code Segments} (segment loads through the GDT/LDT), {@code Decoder}
 * and {@code DecodeCache}, {@code Bus} (segmented memory access), {@code Paging} (linear to
 * physical translation with its TLB, #PF), {@code Exec} (the current
 * instruction) and one final class of static handlers per instruction group ({@code Alu},
 * {@code Shifts}, {@code Bits}, {@code MulDiv}, {@code Bcd}, {@code DataMove}, {@code Strings},
 * {@code Control}, {@code FlagOps}, {@code SystemOps}), dispatched from {@code OneByte} and
 * {@code TwoByte}.
 */
package io.amiforge.x86.cpu;
