package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ami import-image}: a bootable raw disk built once, turned into each format by
 * {@code qemu-img convert} (an OVA by {@code tar} around a stream-optimized VMDK, with a second
 * disk and an OS section), becomes an AMI in one step whose instance boots the disk's kernel
 * with its command line; what cannot boot or cannot be read is refused with a clear message and
 * the exit code of its kind, leaving no snapshot behind.
 */
@Tag("interop")
class AmiImportImageTest {

    private static final String CMDLINE = "console=ttyS0 imported=42";

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    private static Path disk;

    @BeforeAll
    static void buildBootableDisk() throws Exception {
        Path root = Files.createDirectories(shared.resolve("rootfs/etc"));
        Files.writeString(root.resolve("motd"), "imported\n");
        disk = shared.resolve("disk.raw");
        CliRunner.Run build = CliRunner.run("image", "build", shared.resolve("rootfs").toString(), "-o", disk.toString(),
                "--size", "16M", "--partition", "mbr", "--boot", "hvm", "--cmdline", CMDLINE, "--store", shared.resolve("s").toString());
        assertThat(build.exitCode()).as(build.err()).isZero();
    }

    private CliRunner.Run amiforge(String... args) {
        return CliRunner.inStore(dir.resolve("store"), args);
    }

    private JsonNode json(String... args) throws Exception {
        return CliRunner.json(dir.resolve("store"), args);
    }

    private Processes.Result tool(String name, String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.tool(name).toString()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    /** The built disk in {@code format}, beside the test's store. */
    private Path diskAs(String format) throws Exception {
        if (format.equals("raw")) {
            return Files.copy(disk, dir.resolve("disk.img"));
        }
        if (format.equals("ova")) {
            tool("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", disk.toString(), "boot.vmdk").orFail();
            tool("qemu-img", "create", "-f", "vmdk", "-o", "subformat=streamOptimized", "data.vmdk", "1M").orFail();
            Files.writeString(dir.resolve("app.ovf"), """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                              xmlns:vmw="http://www.vmware.com/schema/ovf">
                      <References>
                        <File ovf:href="boot.vmdk" ovf:id="file1"/>
                        <File ovf:href="data.vmdk" ovf:id="file2"/>
                      </References>
                      <DiskSection>
                        <Info>Virtual disks</Info>
                        <Disk ovf:capacity="16" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="bootdisk" ovf:fileRef="file1"
                              ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
                        <Disk ovf:capacity="1048576" ovf:diskId="datadisk" ovf:fileRef="file2"
                              ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
                      </DiskSection>
                      <VirtualSystem ovf:id="app">
                        <Info>A virtual machine</Info>
                        <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
                          <Info>The guest OS</Info>
                          <Description>Other Linux (64-bit)</Description>
                        </OperatingSystemSection>
                      </VirtualSystem>
                    </Envelope>
                    """);
            tool("tar", "--format=ustar", "-cf", "app.ova", "app.ovf", "boot.vmdk", "data.vmdk").orFail();
            return dir.resolve("app.ova");
        }
        Path out = dir.resolve("disk." + format);
        tool("qemu-img", "convert", "-f", "raw", "-O", format, disk.toString(), out.toString()).orFail();
        return out;
    }

    /** Launches {@code ami} and checks the instance booted the disk's kernel with its command line. */
    private void bootsTheDisk(String ami) throws Exception {
        JsonNode run = json("instance", "run", ami, "--type", "t3.micro").get("Instances").get(0);
        assertThat(run.get("State").get("Name").asText()).isEqualTo("running");
        assertThat(run.get("LastBoot").get("Result").asText()).isEqualTo("halted");
        assertThat(run.get("LastBoot").get("Console").asText()).contains(CMDLINE);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"raw", "qcow2", "vpc", "vhdx", "vmdk", "ova"})
    void eachFormatBecomesAnAmiThatBoots(String format) throws Exception {
        Path image = diskAs(format);
        JsonNode imported = json("ami", "import-image", image.toString(), "--name", "web-" + format);
        String ami = imported.get("ImageId").asText();
        assertThat(ami).startsWith("ami-");
        assertThat(imported.get("ImportTaskId").asText()).startsWith("import-ami-");
        JsonNode detail = imported.get("SnapshotDetails").get(0);
        if (format.equals("ova")) { // one detail per disk, as VM Import: each a VMDK member of the archive
            assertThat(imported.get("SnapshotDetails").size()).isEqualTo(2);
            assertThat(detail.get("Format").asText()).isEqualTo("VMDK");
            assertThat(detail.get("DiskImageSize").asLong()).isEqualTo(Files.size(dir.resolve("boot.vmdk")));
            assertThat(imported.get("SnapshotDetails").get(1).get("DeviceName").asText()).isEqualTo("/dev/sdb");
        } else {
            assertThat(detail.get("Format").asText()).isEqualTo(format.equals("vpc") ? "VHD" : format.toUpperCase(java.util.Locale.ROOT));
            assertThat(detail.get("DiskImageSize").asLong()).isEqualTo(Files.size(image));
        }

        JsonNode described = json("ami", "describe", "--owner", "self").get("Images").get(0);
        assertThat(described.get("ImageId").asText()).isEqualTo(ami);
        assertThat(described.get("VirtualizationType").asText()).isEqualTo("hvm");
        assertThat(described.get("RootDeviceType").asText()).isEqualTo("ebs");
        assertThat(described.get("BlockDeviceMappings").get(0).get("Ebs").get("SnapshotId").asText())
                .isEqualTo(detail.get("SnapshotId").asText());
        if (format.equals("ova")) {
            assertThat(described.get("Description").asText()).isEqualTo("imported from app.ova (ova); OVF app.ovf 'app': guest OS"
                    + " Other Linux (64-bit), osType otherLinux64Guest, CIM id 101, 2 disks (bootdisk 16777216 bytes, datadisk 1048576 bytes);"
                    + " boot disk 1 'bootdisk'");
            assertThat(described.get("BlockDeviceMappings").get(1).get("DeviceName").asText()).isEqualTo("/dev/sdb");
            assertThat(described.get("BlockDeviceMappings").get(1).get("Ebs").get("SnapshotId").asText())
                    .isEqualTo(imported.get("SnapshotDetails").get(1).get("SnapshotId").asText());
        } else {
            assertThat(described.get("Description").asText()).isEqualTo("imported from %s (%s)".formatted(image.getFileName(), format));
        }
        assertThat(json("volume", "list").get("Volumes").size()).as("the import's volume is gone, as after VM Import").isZero();
        bootsTheDisk(ami);
    }

    @Test
    void aDifferencingVhdxImportsWithItsParent() throws Exception {
        Path parent = diskAs("vhdx");
        json("image", "create", "-f", "vhdx", "-b", parent.getFileName().toString(), dir.resolve("child.vhdx").toString());
        JsonNode imported = json("ami", "import-image", dir.resolve("child.vhdx").toString(), "--name", "child", "--architecture", "x86_64");
        bootsTheDisk(imported.get("ImageId").asText());
    }

    @Test
    void whatCannotBootOrBeReadIsRefusedAndLeavesNothing() throws Exception {
        Path zeros = Files.write(dir.resolve("zeros.raw"), new byte[1 << 20]);
        CliRunner.Run blank = amiforge("ami", "import-image", zeros.toString(), "--name", "blank");
        assertThat(blank.exitCode()).isEqualTo(3);
        assertThat(blank.err()).contains("zeros.raw (raw, 1048576 bytes) is not bootable: LBA 0 has boot signature 0x0000",
                "found: no partition table; LBA 0 is all zeros");

        // A partition table (one Linux partition from LBA 2048) and the signature, but no boot code.
        java.nio.ByteBuffer mbr = java.nio.ByteBuffer.allocate(4 << 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        mbr.put(446 + 4, (byte) 0x83).putInt(446 + 8, 2048).putInt(446 + 12, 4096).putShort(510, (short) 0xAA55);
        Path noCode = Files.write(dir.resolve("nocode.raw"), mbr.array());
        CliRunner.Run table = amiforge("ami", "import-image", noCode.toString(), "--name", "nocode");
        assertThat(table.exitCode()).isEqualTo(3);
        assertThat(table.err()).contains("no boot code (bytes 0-439 are zero)", "found: an MBR partition table with 1 partition");

        CliRunner.Run unknown = amiforge("ami", "import-image", disk.toString(), "-f", "vdi", "--name", "x");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown image format 'vdi'");
        CliRunner.Run missing = amiforge("ami", "import-image", dir.resolve("nothing.vmdk").toString(), "--name", "x");
        assertThat(missing.exitCode()).isEqualTo(4);
        assertThat(missing.err()).contains("nothing.vmdk: no such file");
        Path damaged = diskAs("qcow2");
        try (var channel = java.nio.channels.FileChannel.open(damaged, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f}), 40); // L1 table offset
        }
        CliRunner.Run unreadable = amiforge("ami", "import-image", damaged.toString(), "--name", "x");
        assertThat(unreadable.exitCode()).isEqualTo(3);
        assertThat(unreadable.err()).contains("disk.qcow2").doesNotContain("Exception");
        CliRunner.Run uefi = amiforge("ami", "import-image", disk.toString(), "--name", "x", "--boot-mode", "uefi");
        assertThat(uefi.exitCode()).isEqualTo(2);
        assertThat(uefi.err()).contains("legacy BIOS only");

        // The cloud refuses the name only at registration, after the import: its snapshot is deleted.
        CliRunner.Run malformed = amiforge("ami", "import-image", disk.toString(), "--name", "x!");
        assertThat(malformed.exitCode()).isEqualTo(2);
        assertThat(malformed.err()).contains("InvalidAMIName.Malformed");
        json("ami", "import-image", disk.toString(), "--name", "taken");
        CliRunner.Run twice = amiforge("ami", "import-image", disk.toString(), "--name", "taken");
        assertThat(twice.exitCode()).isNotZero();
        assertThat(twice.err()).contains("InvalidAMIName.Duplicate", "nothing was imported");
        assertThat(json("snapshot", "list").get("Snapshots").size()).as("only the snapshot of the import that registered is left").isEqualTo(1);
        assertThat(json("volume", "list").get("Volumes").size()).isZero();
    }

    @Test
    void everyDiskOfAnOvaWeWroteBecomesASnapshotAndTheBootableOneTheRoot() throws Exception {
        byte[] dataOne = new byte[2 << 20];
        java.util.Arrays.fill(dataOne, 0, 4096, (byte) 0x5a);
        byte[] dataTwo = new byte[3 << 20];
        java.util.Arrays.fill(dataTwo, 1 << 20, (1 << 20) + 512, (byte) 0xa5);
        Path one = Files.write(dir.resolve("one.raw"), dataOne);
        Path two = Files.write(dir.resolve("two.raw"), dataTwo);
        Path ova = dir.resolve("three.ova");
        List<io.amiforge.blockdev.BlockDevice> devices = new ArrayList<>();
        try {
            for (Path p : List.of(one, disk, two)) { // the boot disk is the second: the first that boots is the root
                devices.add(io.amiforge.imagefmt.format.ImageFormats.open(p, true));
            }
            io.amiforge.imagefmt.ova.OvaFormat.writeAppliance(ova, devices);
        } finally {
            devices.forEach(io.amiforge.blockdev.BlockDevice::close);
        }
        JsonNode imported = json("ami", "import-image", ova.toString(), "--name", "three");
        JsonNode details = imported.get("SnapshotDetails");
        assertThat(details.size()).isEqualTo(3);
        assertThat(List.of(details.get(0).get("DeviceName").asText(), details.get(1).get("DeviceName").asText(),
                details.get(2).get("DeviceName").asText())).containsExactly("/dev/xvda", "/dev/sdb", "/dev/sdc");
        assertThat(imported.get("Description").asText()).contains("3 disks (vmdisk1 2097152 bytes, vmdisk2 16777216 bytes,"
                + " vmdisk3 3145728 bytes); boot disk 2 'vmdisk2'");
        assertThat(json("snapshot", "list").get("Snapshots").size()).isEqualTo(3);
        assertThat(json("volume", "list").get("Volumes").size()).isZero();

        String ami = imported.get("ImageId").asText();
        bootsTheDisk(ami);
        JsonNode instance = json("instance", "describe").get("Reservations").get(0).get("Instances").get(0);
        assertThat(instance.get("BlockDeviceMappings").size()).as("the instance has a volume per disk").isEqualTo(3);
        // each data disk's snapshot holds its guest bytes
        for (int i = 1; i <= 2; i++) {
            Path back = dir.resolve("back" + i + ".raw");
            CliRunner.Run export = amiforge("volume", "export", details.get(i).get("SnapshotId").asText(), back.toString());
            assertThat(export.exitCode()).as(export.err()).isZero();
            assertThat(Files.readAllBytes(back)).isEqualTo(i == 1 ? dataOne : dataTwo);
        }
    }

    @Test
    void anOvaWithoutABootableDiskIsRefusedNamingEachDisk() throws Exception {
        Path blank = Files.write(dir.resolve("blank.raw"), new byte[1 << 20]);
        Path ova = dir.resolve("data.ova");
        try (var a = io.amiforge.imagefmt.format.ImageFormats.open(blank, true);
                var b = io.amiforge.imagefmt.format.ImageFormats.open(blank, true)) {
            io.amiforge.imagefmt.ova.OvaFormat.writeAppliance(ova, List.of(a, b));
        }
        CliRunner.Run run = amiforge("ami", "import-image", ova.toString(), "--name", "nothing");
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err()).contains("data.ova (ova, 2 disks) has no disk that boots: disk 1 'vmdisk1' (data-disk1.vmdk): LBA 0",
                "; disk 2 'vmdisk2' (data-disk2.vmdk): LBA 0");
        assertThat(json("snapshot", "list").get("Snapshots").size()).isZero();
    }
}
