package io.amiforge.boot.pv;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether a kernel can run as a Xen PV guest of a given architecture, as the Xen
 * domain builder does: Xen parameters present, GUEST_OS given, XEN_VERSION {@code xen-3.0},
 * a PV ENTRY (HYPERCALL_PAGE is not required: kernels since the CVE-2024-53241 fix no longer
 * carry it), LOADER {@code generic} or GUEST_OS {@code linux}, the ELF class and machine of
 * the instance, PAE for 32-bit, and no required feature a PV domU cannot have.
 */
public final class XenPvCheck {

    /** Features a PV domU may require ("!feature" in FEATURES). */
    private static final Set<String> PV_FEATURES = Set.of(
            "writable_page_tables", "writable_descriptor_tables", "pae_pgdir_above_4gb",
            "mmu_pt_update_preserve_ad", "highmem_assist", "gnttab_map_avail_bits");

    private XenPvCheck() {
    }

    /** Fails with a {@link PvBootException} (code {@code NotXenPvKernel} or {@code KernelArchitectureMismatch}) unless the kernel fits. */
    public static void check(KernelImage kernel, PvBootOptions.Architecture arch) {
        ElfImage elf = kernel.elf();
        XenNotes notes = kernel.notes();
        String where = kernel.path();
        boolean want64 = arch == PvBootOptions.Architecture.X86_64;
        String kind = (elf.is64() ? "64-bit" : "32-bit") + " (" + (elf.is64() ? "ELF64" : "ELF32") + ", e_machine "
                + elf.machine() + ")";
        if (elf.is64() != want64 || elf.machine() != (want64 ? ElfImage.EM_X86_64 : ElfImage.EM_386)) {
            throw new PvBootException("KernelArchitectureMismatch", where, "the kernel is " + kind + " but the instance is "
                    + arch.wireName() + ", which needs a " + (want64 ? "64-bit x86-64 (ELF64, e_machine 62)" : "32-bit i386 (ELF32, e_machine 3)")
                    + " kernel");
        }
        if (!notes.any()) {
            throw new PvBootException("NotXenPvKernel", where, "the kernel has no Xen ELF notes and no __xen_guest section:"
                    + " it was built without Xen PV guest support (CONFIG_XEN_PV), so PV-GRUB cannot start it");
        }
        String guestOs = notes.string(XenNoteType.GUEST_OS);
        if (guestOs == null || guestOs.isEmpty()) {
            throw new PvBootException("NotXenPvKernel", where, "the Xen notes lack GUEST_OS (expected e.g. 'linux')");
        }
        String xenVersion = notes.string(XenNoteType.XEN_VERSION);
        if (!"xen-3.0".equals(xenVersion)) {
            throw new PvBootException("NotXenPvKernel", where, "XEN_VERSION is "
                    + (xenVersion == null ? "missing" : "'" + xenVersion + "'") + ", expected 'xen-3.0' (the PV ABI Xen 3 and later speak)");
        }
        if (notes.number(XenNoteType.ENTRY) == null) {
            throw new PvBootException("NotXenPvKernel", where, notes.number(XenNoteType.PHYS32_ENTRY) != null
                    ? "the kernel has only a PVH entry point (PHYS32_ENTRY) and no PV ENTRY: built with CONFIG_PVH but without CONFIG_XEN_PV"
                    : "the Xen notes have no ENTRY: there is no PV entry point to start");
        }
        String loader = notes.string(XenNoteType.LOADER);
        if (!"generic".equals(loader) && !"linux".equalsIgnoreCase(guestOs)) {
            throw new PvBootException("NotXenPvKernel", where, "LOADER is " + (loader == null ? "missing" : "'" + loader + "'")
                    + " and GUEST_OS is '" + guestOs + "': Xen loads only images for the generic loader or Linux");
        }
        if (!want64) {
            String pae = notes.string(XenNoteType.PAE_MODE);
            String p = pae == null ? "" : pae.toLowerCase(Locale.ROOT);
            if (!(p.startsWith("yes") || p.equals("bimodal") || p.equals("extended-cr3"))) {
                throw new PvBootException("NotXenPvKernel", where, "PAE_MODE is " + (pae == null ? "missing" : "'" + pae + "'")
                        + ": a 32-bit PV guest must be a PAE kernel (xen-3.0-x86_32p)");
            }
        }
        List<String> unsupported = new ArrayList<>();
        String features = notes.string(XenNoteType.FEATURES);
        if (features != null) {
            for (String f : features.split("\\|")) {
                String t = f.strip();
                if (t.startsWith("!") && !PV_FEATURES.contains(t.substring(1))) {
                    unsupported.add(t.substring(1));
                }
            }
        }
        if (!unsupported.isEmpty()) {
            throw new PvBootException("NotXenPvKernel", where, "FEATURES requires " + String.join(", ", unsupported)
                    + ", which a Xen PV domU does not offer");
        }
    }
}
