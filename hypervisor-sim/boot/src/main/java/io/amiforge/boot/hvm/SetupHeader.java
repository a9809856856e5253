package io.amiforge.boot.hvm;

import io.amiforge.x86.cpu.Memory;
import java.nio.charset.StandardCharsets;

/**
 * The Linux x86 boot protocol's setup header as a loader left it in guest memory (the real-mode
 * kernel at {@code base}, its entry at {@code base + 0x200}): protocol version, kernel version
 * string, command line, loader fields. Read from memory, bounded; never throws on garbage.
 */
public record SetupHeader(
        long base,
        int protocol,
        String kernelVersion,
        String cmdline,
        int setupSectors,
        int loadflags,
        int typeOfLoader,
        long cmdLinePtr,
        long ramdiskImage,
        long ramdiskSize,
        int heapEndPtr,
        long code32Start) {

    /** Offset of "HdrS" from the real-mode kernel's start. */
    public static final int MAGIC_OFFSET = 0x202;

    /** Reads the header at real-mode kernel base {@code base}, or null without "HdrS" there. */
    public static SetupHeader read(Memory mem, long base) {
        if (mem.read32(base + MAGIC_OFFSET) != 0x53726448) {
            return null;
        }
        int protocol = mem.read16(base + 0x206);
        int kvOff = mem.read16(base + 0x20E);
        String version = kvOff == 0 ? null : cString(mem, base + 0x200 + kvOff, 256);
        long cmdPtr = protocol >= 0x202 ? mem.read32(base + 0x228) & 0xFFFFFFFFL : 0;
        if (protocol < 0x202 && mem.read16(base + 0x20) == 0xA33F) {
            cmdPtr = base + mem.read16(base + 0x22);
        }
        String cmdline = cmdPtr == 0 ? null : cString(mem, cmdPtr, 4096);
        return new SetupHeader(base, protocol, version, cmdline, mem.read8(base + 0x1F1), mem.read8(base + 0x211),
                mem.read8(base + 0x210), cmdPtr, mem.read32(base + 0x218) & 0xFFFFFFFFL,
                mem.read32(base + 0x21C) & 0xFFFFFFFFL, mem.read16(base + 0x224),
                mem.read32(base + 0x214) & 0xFFFFFFFFL);
    }

    /** This header with {@code version} as the kernel version string. */
    SetupHeader withKernelVersion(String version) {
        return new SetupHeader(base, protocol, version, cmdline, setupSectors, loadflags, typeOfLoader, cmdLinePtr,
                ramdiskImage, ramdiskSize, heapEndPtr, code32Start);
    }

    /** "2.15" style. */
    public String protocolString() {
        return (protocol >>> 8) + "." + String.format("%02d", protocol & 0xFF);
    }

    static String cString(Memory mem, long addr, int max) {
        byte[] b = new byte[max];
        int n = 0;
        while (n < max) {
            int c = mem.read8(addr + n);
            if (c == 0) {
                break;
            }
            b[n++] = (byte) c;
        }
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }
}
