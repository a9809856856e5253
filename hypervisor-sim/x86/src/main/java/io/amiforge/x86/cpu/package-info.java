/**
 * An interpreter of the Intel 80386 in real mode: {@link io.amiforge.x86.cpu.Cpu} over
 * {@link io.amiforge.x86.cpu.Memory} (1 MiB + HMA with the A20 gate, extended memory for
 * physical accessors), with a decode cache keyed by physical address, lazy arithmetic flags,
 * and a {@link io.amiforge.x86.cpu.CpuHost} for ports, BIOS services and kernel hand-off.
 */
package io.amiforge.x86.cpu;
