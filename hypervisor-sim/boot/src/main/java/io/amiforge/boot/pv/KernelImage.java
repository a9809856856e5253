package io.amiforge.boot.pv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A kernel file as the Xen domain builder sees it: either an ELF vmlinux (32 or 64 bit), or a
 * bzImage whose setup header (boot protocol 2.08+) points at a compressed payload holding the
 * ELF ({@code payload_offset}, {@code payload_length}, counted from the protected-mode code at
 * {@code (setup_sects + 1) * 512}). The Xen notes and the "Linux version ..." banner are read
 * from the ELF, after decompression.
 *
 * @param path the file's path in the guest
 * @param format {@code elf64}, {@code elf32} or {@code bzImage}
 * @param compression the payload's compression ({@link PayloadCompression#NONE} for a bare ELF)
 * @param fileSize the kernel file's size
 * @param setupBytes for a bzImage, the real-mode setup size in bytes (else 0)
 * @param elf the ELF image
 * @param notes the Xen parameters of the ELF
 * @param version the "Linux version ..." banner from the ELF, or from the bzImage header, or null
 * @param facts format details for the report (protocol, payload offset and length, ...)
 */
public record KernelImage(String path, String format, PayloadCompression compression, long fileSize, int setupBytes,
                          ElfImage elf, XenNotes notes, String version, Map<String, Object> facts) {

    private static final byte[] BANNER = "Linux version ".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_BANNER = 512;

    /**
     * Reads {@code file} (the kernel's bytes); {@code maxElf} bounds the decompressed ELF.
     * Fails with a {@link PvBootException} for anything that is not a loadable kernel.
     */
    public static KernelImage read(String path, byte[] file, int maxElf) {
        Map<String, Object> facts = new LinkedHashMap<>();
        if (ElfImage.isElf(file)) {
            ElfImage elf = ElfImage.parse(path, file);
            return new KernelImage(path, elf.is64() ? "elf64" : "elf32", PayloadCompression.NONE, file.length, 0,
                    elf, XenNotes.of(elf), banner(file), facts);
        }
        if (file.length < 0x250 || !(file[0x202] == 'H' && file[0x203] == 'd' && file[0x204] == 'r' && file[0x205] == 'S')) {
            throw new PvBootException("InvalidKernelImage", path + " offset 0x202",
                    "neither an ELF image (magic 7f 45 4c 46 at offset 0) nor a bzImage (\"HdrS\" at offset 0x202)");
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int protocol = b.getShort(0x206) & 0xffff;
        facts.put("bootProtocol", (protocol >> 8) + "." + String.format("%02d", protocol & 0xff));
        if (protocol < 0x208) {
            throw new PvBootException("InvalidKernelImage", path + " offset 0x206", "bzImage boot protocol "
                    + (protocol >> 8) + "." + String.format("%02d", protocol & 0xff)
                    + " predates payload_offset (2.08 or later needed): Xen cannot find the ELF inside it");
        }
        int setupSects = file[0x1f1] & 0xff;
        if (setupSects == 0) {
            setupSects = 4;
        }
        int setup = (setupSects + 1) * 512;
        long payloadOffset = b.getInt(0x248) & 0xffffffffL;
        long payloadLength = b.getInt(0x24c) & 0xffffffffL;
        facts.put("setupSects", setupSects);
        facts.put("payloadOffset", "0x" + Long.toHexString(payloadOffset));
        facts.put("payloadLength", "0x" + Long.toHexString(payloadLength));
        long start = setup + payloadOffset;
        long end = start + payloadLength;
        if (setup > file.length || end > file.length || payloadLength < 6) {
            throw new PvBootException("InvalidKernelImage", path + " offset 0x248", "bzImage payload at 0x"
                    + Long.toHexString(start) + " (0x" + Long.toHexString(payloadLength) + " bytes) does not lie inside the "
                    + "0x" + Integer.toHexString(file.length) + "-byte file: truncated kernel?");
        }
        String where = path + " payload at file offset 0x" + Long.toHexString(start);
        PayloadCompression compression = PayloadCompression.detect(file, (int) start, (int) payloadLength);
        if (compression == null) {
            throw new PvBootException("InvalidKernelImage", where, "unknown payload compression (first bytes "
                    + hex(file, (int) start, 6) + "); expected gzip, bzip2, xz, lzma, lz4, zstd or an ELF");
        }
        facts.put("compression", compression.wireName());
        long sizeWord = b.getInt((int) (end - 4)) & 0xffffffffL;
        byte[] elfBytes = compression.decompress(file, (int) start, (int) payloadLength, maxElf, where);
        if (compression != PayloadCompression.NONE && sizeWord != elfBytes.length) {
            facts.put("sizeTrailerMismatch", "payload says 0x" + Long.toHexString(sizeWord) + ", decompressed 0x"
                    + Integer.toHexString(elfBytes.length));
        }
        facts.put("decompressedSize", elfBytes.length);
        if (!ElfImage.isElf(elfBytes)) {
            throw new PvBootException("InvalidKernelImage", where, "the decompressed payload (" + elfBytes.length
                    + " bytes) is not an ELF image (first bytes " + hex(elfBytes, 0, Math.min(6, elfBytes.length)) + ")");
        }
        ElfImage elf = ElfImage.parse(path + " (decompressed payload)", elfBytes);
        String version = banner(elfBytes);
        if (version == null) {
            version = headerVersion(file, b, setup);
        }
        return new KernelImage(path, "bzImage", compression, file.length, setup, elf, XenNotes.of(elf), version, facts);
    }

    /** The first "Linux version N..." string in {@code data} (up to a NUL or newline), or null. */
    static String banner(byte[] data) {
        outer:
        for (int i = 0; i + BANNER.length < data.length; i++) {
            for (int j = 0; j < BANNER.length; j++) {
                if (data[i + j] != BANNER[j]) {
                    continue outer;
                }
            }
            int v = i + BANNER.length;
            if (data[v] == '%' || data[v] < 0x20) {
                continue;
            }
            int e = v;
            while (e < data.length && e - i < MAX_BANNER && data[e] != 0 && data[e] != '\n' && (data[e] & 0xff) >= 0x20) {
                e++;
            }
            return new String(data, i, e - i, StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    private static String headerVersion(byte[] file, ByteBuffer b, int setup) {
        int ptr = b.getShort(0x20e) & 0xffff;
        if (ptr == 0 || ptr + 0x200 >= Math.min(file.length, setup)) {
            return null;
        }
        String s = ElfImage.cString(file, ptr + 0x200, Math.min(file.length, ptr + 0x200 + MAX_BANNER));
        return s.isEmpty() ? null : "Linux version " + s;
    }

    private static String hex(byte[] d, int from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n && from + i < d.length; i++) {
            sb.append(String.format("%02x", d[from + i] & 0xff));
            if (i + 1 < n) {
                sb.append(' ');
            }
        }
        return sb.toString();
    }
}
