package io.amiforge.boot.pv;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a PV domain's initial memory the way Xen's domain builder (libxenguest's
 * {@code xc_dom_*}) does, in pseudo-physical memory of the instance's size:
 * <ol>
 *   <li>the kernel's PT_LOAD segments, each at {@code p_paddr - PADDR_OFFSET} (mapped at
 *       {@code VIRT_BASE} + that), its bss zeroed;</li>
 *   <li>then, page aligned: the initrd, the p2m list (one entry per page), the start_info
 *       page, the xenstore and console rings, the bootstrap page tables, the boot stack; when
 *       the kernel has an INIT_P2M note (Linux does) the p2m list comes last instead and is
 *       mapped at the address the note gives.</li>
 * </ol>
 * Anything that does not fit in the guest's memory is a {@link PvBootException} naming the
 * segment or region and its size. Machine frames are simulated as identical to guest frames.
 */
public final class DomainBuilder {

    private static final long PAGE = GuestMemory.PAGE;

    /** One placed region: name, pseudo-physical start, virtual start, length in bytes. */
    public record Region(String name, long pseudoPhysical, long virtual, long bytes) {
        /** As a report entry, addresses in hex. */
        public Map<String, Object> asReport() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("region", name);
            m.put("pseudoPhysical", StartInfo.hex(pseudoPhysical));
            m.put("virtual", StartInfo.hex(virtual));
            m.put("bytes", bytes);
            return m;
        }
    }

    /**
     * The built domain.
     *
     * @param entry virtual address execution starts at
     * @param virtBase VIRT_BASE
     * @param startInfoVirtual where %rsi points on entry
     * @param stackTop where %rsp points on entry
     * @param regions placed regions in address order
     * @param startInfo the start_info page's fields
     * @param memory the guest memory with everything written
     */
    public record Domain(long entry, long virtBase, long startInfoVirtual, long stackTop, List<Region> regions,
                         StartInfo startInfo, GuestMemory memory) {
    }

    private DomainBuilder() {
    }

    /** Builds the domain for {@code kernel} (already accepted by {@link XenPvCheck}). */
    public static Domain build(KernelImage kernel, byte[] initrd, String initrdPath, String cmdline,
                               PvBootOptions.Architecture arch, long memoryMiB) {
        ElfImage elf = kernel.elf();
        XenNotes notes = kernel.notes();
        boolean is64 = arch == PvBootOptions.Architecture.X86_64;
        long memBytes = memoryMiB << 20;
        long nrPages = memBytes / PAGE;
        String where = kernel.path();

        long virtBase = orDefault(notes.number(XenNoteType.VIRT_BASE), 0);
        long paddrOffset = orDefault(notes.number(XenNoteType.PADDR_OFFSET), notes.legacy() ? virtBase : 0);
        if (!is64) {
            virtBase &= 0xffffffffL;
            paddrOffset &= 0xffffffffL;
        }
        List<ElfImage.Segment> loads = new ArrayList<>();
        for (ElfImage.Segment s : elf.segments()) {
            if (s.type() == ElfImage.PT_LOAD && s.memSize() != 0) {
                loads.add(s);
            }
        }
        if (loads.isEmpty()) {
            throw new PvBootException("InvalidKernelImage", where, "the ELF has no PT_LOAD segment with memory: nothing to load");
        }
        byte[] data = elf.data();
        long kernelEnd = 0;
        long kernelStart = Long.MAX_VALUE;
        for (ElfImage.Segment s : loads) {
            String seg = "PT_LOAD segment " + s.index() + " (file offset 0x" + Long.toHexString(s.offset())
                    + ", p_paddr 0x" + Long.toHexString(s.paddr()) + ")";
            if (Long.compareUnsigned(s.fileSize(), s.memSize()) > 0) {
                throw new PvBootException("InvalidKernelImage", where, seg + ": p_filesz 0x" + Long.toHexString(s.fileSize())
                        + " exceeds p_memsz 0x" + Long.toHexString(s.memSize()));
            }
            long fileEnd = ElfImage.checkedEnd(s.offset(), s.fileSize());
            if (fileEnd < 0 || fileEnd > data.length) {
                throw new PvBootException("InvalidKernelImage", elf.name() + " offset 0x" + Long.toHexString(s.offset()),
                        seg + ": its 0x" + Long.toHexString(s.fileSize()) + " file bytes run past the end of the image (0x"
                                + Integer.toHexString(data.length) + " bytes): truncated ELF?");
            }
            long pseudo = s.paddr() - paddrOffset;
            if (!is64) {
                pseudo &= 0xffffffffL;
            }
            if (Long.compareUnsigned(pseudo, memBytes) >= 0 || Long.compareUnsigned(s.memSize(), memBytes - pseudo) > 0) {
                throw new PvBootException("KernelDoesNotFit", where, seg + " of 0x" + Long.toHexString(s.memSize()) + " bytes ("
                        + mib(s.memSize()) + ") at pseudo-physical 0x" + Long.toHexString(pseudo) + " ends past the guest's "
                        + memoryMiB + " MiB of memory");
            }
            kernelStart = Math.min(kernelStart, pseudo);
            kernelEnd = Math.max(kernelEnd, pseudo + s.memSize());
        }
        long entry = notes.number(XenNoteType.ENTRY);
        long kstartVirt = virtBase + kernelStart;
        long kendVirt = virtBase + kernelEnd;
        if (Long.compareUnsigned(entry, kstartVirt) < 0 || Long.compareUnsigned(entry, kendVirt) >= 0) {
            throw new PvBootException("InvalidKernelImage", where, "ENTRY 0x" + Long.toHexString(entry)
                    + " lies outside the loaded kernel 0x" + Long.toHexString(kstartVirt) + "-0x" + Long.toHexString(kendVirt)
                    + " (VIRT_BASE 0x" + Long.toHexString(virtBase) + ", PADDR_OFFSET 0x" + Long.toHexString(paddrOffset) + ")");
        }

        GuestMemory memory = new GuestMemory(memBytes);
        List<Region> regions = new ArrayList<>();
        for (ElfImage.Segment s : loads) {
            long pseudo = s.paddr() - paddrOffset;
            if (!is64) {
                pseudo &= 0xffffffffL;
            }
            memory.write(pseudo, data, (int) s.offset(), (int) s.fileSize());
            regions.add(new Region("kernel segment " + s.index(), pseudo, virtBase + pseudo, s.memSize()));
        }

        Allocator alloc = new Allocator(roundUp(kernelEnd), memBytes, memoryMiB, virtBase, regions);
        long modStart = 0;
        long modLen = 0;
        int flags = 0;
        if (initrd != null) {
            Region r = alloc.take("initrd " + initrdPath, initrd.length);
            memory.write(r.pseudoPhysical(), initrd, 0, initrd.length);
            modLen = initrd.length;
            if (orDefault(notes.number(XenNoteType.MOD_START_PFN), 0) != 0) {
                flags |= StartInfo.SIF_MOD_START_PFN;
                modStart = r.pseudoPhysical() / PAGE;
            } else {
                modStart = r.virtual();
            }
        }
        long p2mBytes = Math.multiplyExact(nrPages, is64 ? 8L : 4L);
        Long initP2m = notes.number(XenNoteType.INIT_P2M);
        Region p2m = initP2m == null ? alloc.take("p2m list", p2mBytes) : null;
        Region startInfoRegion = alloc.take("start_info", PAGE);
        Region store = alloc.take("xenstore ring", PAGE);
        Region console = alloc.take("console ring", PAGE);
        long ptFrames = pageTableFrames(is64, virtBase, alloc.next);
        Region pt = alloc.take("page tables", ptFrames * PAGE);
        Region stack = alloc.take("boot stack", PAGE);
        if (initP2m != null) {
            // INIT_P2M: the kernel wants the p2m list mapped at that address, apart from the kernel mapping.
            p2m = alloc.take("p2m list (INIT_P2M)", p2mBytes, initP2m);
        }

        byte[] cmd = StartInfo.cmdLineBytes(cmdline);
        boolean truncated = cmdline.getBytes(java.nio.charset.StandardCharsets.UTF_8).length != cmd.length;
        StartInfo si = new StartInfo(is64 ? "xen-3.0-x86_64" : "xen-3.0-x86_32p", nrPages, memBytes /* placeholder frame past RAM */,
                flags, store.pseudoPhysical() / PAGE, 1, console.pseudoPhysical() / PAGE, 2, pt.virtual(), ptFrames,
                p2m.virtual(), modStart, modLen, cmd, truncated);
        byte[] page = si.toPage(is64);
        memory.write(startInfoRegion.pseudoPhysical(), page, 0, page.length);
        return new Domain(entry, virtBase, startInfoRegion.virtual(), stack.virtual() + PAGE, List.copyOf(regions), si, memory);
    }

    /** Bootstrap page-table frames to map VIRT_BASE up to {@code used} plus 512 KiB, as libxenguest counts them. */
    private static long pageTableFrames(boolean is64, long virtBase, long used) {
        long frames = 0;
        for (int round = 0; round < 8; round++) {
            long end = virtBase + used + frames * PAGE + (512 << 10);
            long start = virtBase;
            long l1 = span(start, end, 21);
            long l2 = span(start, end, 30);
            long n = is64 ? l1 + l2 + span(start, end, 39) + 1 : l1 + l2 + 1;
            if (n == frames) {
                break;
            }
            frames = n;
        }
        return frames;
    }

    private static long span(long start, long end, int shift) {
        return ((end - 1) >>> shift) - (start >>> shift) + 1;
    }

    private static long orDefault(Long v, long d) {
        return v == null ? d : v;
    }

    private static long roundUp(long v) {
        return (v + PAGE - 1) & -PAGE;
    }

    static String mib(long bytes) {
        return Long.compareUnsigned(bytes, 1L << 50) > 0 ? "absurdly large" : (bytes + (1 << 20) - 1) / (1 << 20) + " MiB";
    }

    /** Hands out page-aligned regions after the kernel, failing when memory runs out. */
    private static final class Allocator {
        long next;
        final long limit;
        final long memoryMiB;
        final long virtBase;
        final List<Region> regions;

        Allocator(long next, long limit, long memoryMiB, long virtBase, List<Region> regions) {
            this.next = next;
            this.limit = limit;
            this.memoryMiB = memoryMiB;
            this.virtBase = virtBase;
            this.regions = regions;
        }

        Region take(String name, long bytes) {
            return take(name, bytes, virtBase + next);
        }

        Region take(String name, long bytes, long virtual) {
            long size = roundUp(bytes);
            if (size > limit - next) {
                throw new PvBootException("KernelDoesNotFit", null, name + " (" + bytes + " bytes, " + mib(bytes)
                        + ") does not fit: it would end at pseudo-physical 0x" + Long.toHexString(next + size)
                        + ", past the guest's " + memoryMiB + " MiB of memory");
            }
            Region r = new Region(name, next, virtual, bytes);
            next += size;
            regions.add(r);
            return r;
        }
    }
}
