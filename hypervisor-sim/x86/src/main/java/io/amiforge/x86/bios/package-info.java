/**
 * A PC BIOS for the real-mode CPU, written in Java. {@link io.amiforge.x86.bios.Bios} is the
 * entry point: the dispatcher that, as the CPU's host, binds one service per interrupt vector
 * (INT 10h video, 11h/12h/17h equipment, 13h disk, 14h serial, 15h system and memory map, 16h
 * keyboard, 18h/19h boot, 1Ah clock, the exception vectors) and the I/O ports to the CPU.
 * Behaviour and state are apart: services ({@code Int13Disk}, ...) keep what they remember in
 * state classes ({@link io.amiforge.x86.bios.Int13State}, {@link io.amiforge.x86.bios.PortState},
 * the {@link io.amiforge.x86.bios.Keyboard} script) or in guest memory
 * ({@link io.amiforge.x86.bios.BiosDataArea}). Disk 0x80 is a
 * {@link io.amiforge.x86.bios.DiskDrive} over a {@link io.amiforge.blockdev.BlockDevice}, read
 * synchronously; every run is bounded by a {@link io.amiforge.x86.bios.RunBudget}.
 */
package io.amiforge.x86.bios;
