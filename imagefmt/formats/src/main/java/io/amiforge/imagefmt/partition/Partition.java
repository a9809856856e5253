package io.amiforge.imagefmt.partition;

/**
 * One partition: its 1-based {@code index} (MBR: 1-4 primaries, 5+ logicals in chain order; GPT:
 * entry slot + 1), its extent in 512-byte sectors, its {@code type} (MBR: two lower-case hex
 * digits such as {@code "83"}; GPT: an upper-case type GUID), its {@code name} (GPT only, else
 * empty) and whether it is marked bootable (MBR active flag; GPT attribute bit 2, legacy BIOS
 * bootable).
 */
public record Partition(int index, long startLba, long sectors, String type, String name, boolean bootable) {

    /** Linux filesystem data type GUID. */
    public static final String GPT_LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    /** MBR type for a Linux filesystem. */
    public static final String MBR_LINUX = "83";

    public Partition {
        if (startLba < 0 || sectors < 0) {
            throw new IllegalArgumentException("negative extent " + startLba + "+" + sectors);
        }
        name = name == null ? "" : name;
    }

    /** First sector after the partition. */
    public long endLba() {
        return startLba + sectors;
    }

    /** Whether the type says Linux filesystem data (MBR 0x83 or the GPT Linux data GUID). */
    public boolean isLinux() {
        return type.equalsIgnoreCase(MBR_LINUX) || type.equalsIgnoreCase(GPT_LINUX);
    }
}
