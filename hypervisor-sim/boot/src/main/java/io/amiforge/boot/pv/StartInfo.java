package io.amiforge.boot.pv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Xen {@code start_info} page ({@code xen/include/public/xen.h}) a PV kernel finds at
 * {@code %rsi}/{@code %esi} on entry, laid out for x86_64 (8-byte longs) or 32-bit PAE
 * (4-byte longs).
 *
 * @param magic {@code xen-3.0-x86_64} or {@code xen-3.0-x86_32p}
 * @param nrPages pages given to the domain
 * @param sharedInfo machine address of the shared_info page
 * @param flags SIF_* flags
 * @param storeMfn machine frame of the xenstore ring
 * @param storeEvtchn event channel of xenstore
 * @param consoleMfn machine frame of the console ring
 * @param consoleEvtchn event channel of the console
 * @param ptBase virtual address of the top-level page table
 * @param nrPtFrames number of bootstrap page-table frames
 * @param mfnList virtual address of the p2m (pfn to mfn) list
 * @param modStart virtual address (or pfn with SIF_MOD_START_PFN) of the initrd, 0 when none
 * @param modLen initrd length
 * @param cmdLine the command line as stored (at most {@value #MAX_GUEST_CMDLINE} - 1 bytes)
 * @param cmdLineTruncated whether the given command line was longer and was cut
 */
public record StartInfo(String magic, long nrPages, long sharedInfo, int flags, long storeMfn, int storeEvtchn,
                        long consoleMfn, int consoleEvtchn, long ptBase, long nrPtFrames, long mfnList,
                        long modStart, long modLen, byte[] cmdLine, boolean cmdLineTruncated) {

    /** {@code MAX_GUEST_CMDLINE}: the cmd_line field's size, including its NUL. */
    public static final int MAX_GUEST_CMDLINE = 1024;
    /** {@code SIF_MOD_START_PFN}: mod_start is a pfn. */
    public static final int SIF_MOD_START_PFN = 1 << 3;

    /** Cuts {@code cmdline}'s UTF-8 bytes to what fits in cmd_line (keeping the NUL), as Xen's builder does. */
    public static byte[] cmdLineBytes(String cmdline) {
        byte[] b = cmdline.getBytes(StandardCharsets.UTF_8);
        return b.length < MAX_GUEST_CMDLINE ? b : Arrays.copyOf(b, MAX_GUEST_CMDLINE - 1);
    }

    /** The page's bytes (4096) for a 64-bit or 32-bit PAE guest. */
    public byte[] toPage(boolean is64) {
        ByteBuffer b = ByteBuffer.allocate(GuestMemory.PAGE).order(ByteOrder.LITTLE_ENDIAN);
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        b.put(0, m, 0, Math.min(31, m.length));
        int w = is64 ? 8 : 4;
        int o = 32;
        o = putLong(b, o, nrPages, w);
        o = putLong(b, o, sharedInfo, w);
        b.putInt(o, flags);
        o = align(o + 4, w);
        o = putLong(b, o, storeMfn, w);
        b.putInt(o, storeEvtchn);
        o = align(o + 4, w);
        o = putLong(b, o, consoleMfn, w);
        b.putInt(o, consoleEvtchn);
        o = align(o + 4, w);
        o = putLong(b, o, ptBase, w);
        o = putLong(b, o, nrPtFrames, w);
        o = putLong(b, o, mfnList, w);
        o = putLong(b, o, modStart, w);
        o = putLong(b, o, modLen, w);
        b.put(o, cmdLine, 0, Math.min(cmdLine.length, MAX_GUEST_CMDLINE - 1));
        return b.array();
    }

    /** Offset of cmd_line in the page: 128 for x86_64, 80 for 32-bit. */
    public static int cmdLineOffset(boolean is64) {
        return is64 ? 128 : 80;
    }

    private static int putLong(ByteBuffer b, int o, long v, int w) {
        if (w == 8) {
            b.putLong(o, v);
        } else {
            b.putInt(o, (int) v);
        }
        return o + w;
    }

    private static int align(int o, int w) {
        return (o + w - 1) & -w;
    }

    /** The fields for a boot report, addresses in hex. */
    public Map<String, Object> asReport() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("magic", magic);
        m.put("nr_pages", nrPages);
        m.put("shared_info", hex(sharedInfo));
        m.put("flags", hex(flags));
        m.put("store_mfn", hex(storeMfn));
        m.put("store_evtchn", storeEvtchn);
        m.put("console_mfn", hex(consoleMfn));
        m.put("console_evtchn", consoleEvtchn);
        m.put("pt_base", hex(ptBase));
        m.put("nr_pt_frames", nrPtFrames);
        m.put("mfn_list", hex(mfnList));
        m.put("mod_start", hex(modStart));
        m.put("mod_len", modLen);
        m.put("cmd_line", new String(cmdLine, StandardCharsets.UTF_8));
        m.put("cmd_line_truncated", cmdLineTruncated);
        return m;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
