/**
 * A PC BIOS for the real-mode CPU, written in Java: {@link io.amiforge.x86.bios.Bios} sets up
 * the IVT (every vector points at a one-byte stub in the ROM area whose execution traps to
 * Java), the BIOS data area and EBDA, and serves INT 10h/11h/12h/13h/15h/16h/1Ah/18h/19h,
 * COM1, port 0x92, the 8042 A20 line and POST port 0x80, with disk 0x80 bound to a
 * {@link io.amiforge.blockdev.BlockDevice}.
 */
package io.amiforge.x86.bios;
