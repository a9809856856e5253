package io.amiforge.imagefmt.ova;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.sparse.QemuImg;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OVA archives: ours list as tar does (descriptor first), their disk passes {@code qemu-img
 * check} and compares equal to the source once extracted by {@code tar}; an OVA put together
 * by {@code tar} from a qemu-img stream-optimized VMDK reads byte-identically in place; broken
 * archives and descriptors fail naming what is wrong.
 */
@Tag("interop")
class OvaInteropTest {

    private static final long SIZE = 40L << 20;

    @TempDir
    Path dir;

    private Processes.Result tar(String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.tool("tar").toString()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    @Test
    void ourOvaIsADescriptorThenAStreamOptimizedDiskQemuImgReads() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 61);
        Path ova = dir.resolve("appliance.ova");
        ImageConverter.convert(raw, ova, "ova", CreateOptions.defaults());
        assertThat(tar("tf", ova.toString()).orFail().stdoutText()).isEqualTo("appliance.ovf\nappliance-disk1.vmdk\n");
        Path out = Files.createDirectories(dir.resolve("x"));
        tar("xf", ova.toString(), "-C", out.toString()).orFail();
        Path vmdk = out.resolve("appliance-disk1.vmdk");
        assertThat(QemuImg.run(dir, "info", vmdk.toString()).stdoutText()).contains("create type: streamOptimized");
        QemuImg.check(vmdk, "vmdk");
        QemuImg.compare(vmdk, "vmdk", raw);
        assertThat(Files.readString(out.resolve("appliance.ovf"))).contains("ovf:capacity=\"" + SIZE + "\"");

        ImageInfo info = ImageFormats.info(ova);
        assertThat(info.format()).isEqualTo("ova");
        assertThat(info.virtualSize()).isEqualTo(SIZE);
        assertThat(info.formatSpecific()).containsEntry("ovf", "appliance.ovf");
        try (BlockDevice device = ImageFormats.open(ova, true)) {
            QemuImg.assertSameContent(device, raw);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial") || n.endsWith(".disk.vmdk"));
        }
    }

    @Test
    void anOvaMadeByTarFromQemuImgsVmdkReadsInPlace() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 62);
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(), "disk1.vmdk").orFail();
        long vmdkSize = Files.size(dir.resolve("disk1.vmdk"));
        Files.writeString(dir.resolve("vm.ovf"), OvfDescriptor.write("vm", "disk1.vmdk", vmdkSize, SIZE)
                .replace("ovf:capacity=\"" + SIZE + "\" ovf:capacityAllocationUnits=\"byte\"",
                        "ovf:capacity=\"" + (SIZE >> 20) + "\" ovf:capacityAllocationUnits=\"byte * 2^20\""));
        tar("--format=ustar", "-cf", "vm.ova", "vm.ovf", "disk1.vmdk").orFail();
        Path ova = dir.resolve("vm.ova");
        assertThat(ImageFormats.probe(ova).name()).isEqualTo("ova");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> disks = (List<Map<String, Object>>) ImageFormats.info(ova).formatSpecific().get("disks");
        assertThat(disks).singleElement().satisfies(d -> assertThat(d).containsEntry("file", "disk1.vmdk").containsEntry("capacity", SIZE));
        Path flat = dir.resolve("flat.raw");
        ImageConverter.convert(ova, flat, "raw", CreateOptions.defaults());
        assertThat(Files.mismatch(flat, raw)).isEqualTo(-1L);
        assertThatThrownBy(() -> ImageFormats.open(ova, false)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("convert it");
    }

    @Test
    void brokenArchivesAndDescriptorsNameWhatIsWrong() throws Exception {
        Files.writeString(dir.resolve("vm.ovf"), OvfDescriptor.write("vm", "missing.vmdk", 1, 1 << 20));
        Files.write(dir.resolve("other.vmdk"), new byte[1024]);
        tar("--format=ustar", "-cf", "missing.ova", "vm.ovf", "other.vmdk").orFail();
        assertThatThrownBy(() -> ImageFormats.open(dir.resolve("missing.ova"), true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("missing.ova", "references 'missing.vmdk' (disk 'vmdisk1'), which is not in the archive");

        Files.writeString(dir.resolve("vm.ovf"), "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>");
        tar("--format=ustar", "-cf", "xxe.ova", "vm.ovf").orFail();
        assertThatThrownBy(() -> ImageFormats.info(dir.resolve("xxe.ova"))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("not well-formed XML").hasMessageNotContaining("root:");

        Path ova = dir.resolve("cut.ova");
        tar("--format=ustar", "-cf", ova.toString(), "vm.ovf", "other.vmdk").orFail();
        byte[] bytes = Files.readAllBytes(ova);
        long second = 512 + ((Files.size(dir.resolve("vm.ovf")) + 511) & ~511L);
        bytes[(int) second + 124] ^= 1; // other.vmdk's size field no longer matches the header checksum
        Files.write(ova, bytes);
        assertThatThrownBy(() -> new OvaFormat().info(ova)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("tar header at file offset 0x" + Long.toHexString(second));
    }

    @Test
    void anApplianceOfThreeDisksWrittenByUsListsAndReadsEveryDisk() throws Exception {
        long[] sizes = {SIZE, 3L << 20, 8L << 20};
        List<Path> raws = new ArrayList<>();
        List<BlockDevice> devices = new ArrayList<>();
        try {
            for (int i = 0; i < sizes.length; i++) {
                // the last disk is blank: a stream with no grain still ends with its directory, footer and end marker
                raws.add(i == sizes.length - 1 ? Files.write(dir.resolve("d" + i + ".raw"), new byte[(int) sizes[i]])
                        : QemuImg.patternRaw(dir.resolve("d" + i + ".raw"), sizes[i], 70 + i));
                devices.add(ImageFormats.open(raws.get(i), true));
            }
            OvaFormat.writeAppliance(dir.resolve("three.ova"), devices);
        } finally {
            devices.forEach(BlockDevice::close);
        }
        Path ova = dir.resolve("three.ova");
        assertThat(tar("tf", ova.toString()).orFail().stdoutText())
                .isEqualTo("three.ovf\nthree-disk1.vmdk\nthree-disk2.vmdk\nthree-disk3.vmdk\n");
        Path out = Files.createDirectories(dir.resolve("x"));
        tar("xf", ova.toString(), "-C", out.toString()).orFail();
        for (int i = 0; i < sizes.length; i++) {
            Path vmdk = out.resolve("three-disk" + (i + 1) + ".vmdk");
            QemuImg.check(vmdk, "vmdk");
            QemuImg.compare(vmdk, "vmdk", raws.get(i));
        }
        OvaAppliance appliance = OvaAppliance.read(ova);
        assertThat(appliance.name()).isEqualTo("three");
        assertThat(appliance.disks()).extracting(OvaAppliance.Disk::id).containsExactly("vmdisk1", "vmdisk2", "vmdisk3");
        assertThat(appliance.disks()).extracting(OvaAppliance.Disk::capacity).containsExactly(sizes[0], sizes[1], sizes[2]);
        for (int i = 0; i < sizes.length; i++) {
            try (BlockDevice device = appliance.open(appliance.disk(i + 1))) {
                QemuImg.assertSameContent(device, raws.get(i));
            }
        }
        assertThatThrownBy(() -> appliance.disk(4)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("has 3 disks, no disk 4: 1: vmdisk1 (three-disk1.vmdk, " + SIZE + " bytes)");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial") || n.endsWith(".vmdk"));
        }
    }

    /** The descriptor of {@code disks} (id, file id, href, capacity in MiB), with {@code hardware} items and files listed. */
    private static String descriptor(String[][] disks, String files, String hardware) {
        StringBuilder diskSection = new StringBuilder();
        for (String[] d : disks) {
            diskSection.append("<Disk ovf:diskId=\"%s\" ovf:fileRef=\"%s\" ovf:capacity=\"%s\" ovf:capacityAllocationUnits=\"byte * 2^20\"/>"
                    .formatted(d[0], d[1], d[2]));
        }
        return """
                <?xml version="1.0"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
                  <References>%s</References>
                  <DiskSection><Info>disks</Info>%s</DiskSection>
                  <VirtualSystem ovf:id="vm-id"><Info>vm</Info><Name>Web Server</Name>
                    <OperatingSystemSection ovf:id="96"><Info>os</Info><Description>Debian 12</Description></OperatingSystemSection>
                    <VirtualHardwareSection><Info>hw</Info>%s</VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """.formatted(files, diskSection, hardware);
    }

    @Test
    void aTarOfQemuImgDisksKeepsItsFactsAndBadDescriptorsNameFileAndMember() throws Exception {
        QemuImg.run(dir, "create", "-f", "vmdk", "-o", "subformat=streamOptimized", "a.vmdk", "2M").orFail();
        QemuImg.run(dir, "create", "-f", "vmdk", "-o", "subformat=streamOptimized", "b.vmdk", "3M").orFail();
        String files = "<File ovf:id=\"f1\" ovf:href=\"a.vmdk\"/><File ovf:id=\"f2\" ovf:href=\"b.vmdk\"/>";
        String hardware = """
                <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:InstanceID>1</rasd:InstanceID>
                  <rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
                <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID>
                  <rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2048</rasd:VirtualQuantity></Item>
                """;
        Files.writeString(dir.resolve("vm.ovf"), descriptor(new String[][] {{"a", "f1", "2"}, {"b", "f2", "3"}}, files, hardware));
        tar("--format=ustar", "-cf", "good.ova", "vm.ovf", "a.vmdk", "b.vmdk").orFail();
        OvaAppliance good = OvaAppliance.read(dir.resolve("good.ova"));
        assertThat(good.summary()).isEqualTo("OVF vm.ovf 'Web Server': guest OS Debian 12, CIM id 96, 4 CPUs, 2048 MiB memory,"
                + " 2 disks (a 2097152 bytes, b 3145728 bytes)");
        assertThat(ImageFormats.info(dir.resolve("good.ova")).formatSpecific()).containsEntry("cpus", 4)
                .containsEntry("memoryBytes", 2048L << 20).containsEntry("name", "Web Server");
        try (BlockDevice b = good.open(good.disk(2))) {
            assertThat(b.size()).isEqualTo(3L << 20);
        }

        Files.writeString(dir.resolve("vm.ovf"), descriptor(new String[][] {{"a", "f1", "2"}, {"b", "f2", "4"}}, files, ""));
        tar("--format=ustar", "-cf", "size.ova", "vm.ovf", "a.vmdk", "b.vmdk").orFail();
        OvaAppliance size = OvaAppliance.read(dir.resolve("size.ova"));
        assertThatThrownBy(() -> size.open(size.disk(2))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("size.ova").hasMessageContaining("disk 'b' (member b.vmdk) holds 3145728 bytes but the OVF"
                        + " descriptor vm.ovf says 4194304");

        Files.writeString(dir.resolve("vm.ovf"), descriptor(new String[][] {{"a", "f1", "2"}, {"a", "f2", "3"}}, files, ""));
        tar("--format=ustar", "-cf", "dupdisk.ova", "vm.ovf", "a.vmdk", "b.vmdk").orFail();
        assertThatThrownBy(() -> OvaAppliance.read(dir.resolve("dupdisk.ova"))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("dupdisk.ova(vm.ovf)").hasMessageContaining("lists disk id 'a' twice");

        Files.writeString(dir.resolve("vm.ovf"), descriptor(new String[][] {{"a", "f1", "2"}},
                "<File ovf:id=\"f1\" ovf:href=\"a.vmdk\"/><File ovf:id=\"f1\" ovf:href=\"b.vmdk\"/>", ""));
        tar("--format=ustar", "-cf", "dupfile.ova", "vm.ovf", "a.vmdk", "b.vmdk").orFail();
        assertThatThrownBy(() -> OvaAppliance.read(dir.resolve("dupfile.ova"))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("dupfile.ova(vm.ovf)").hasMessageContaining("file id 'f1' twice");

        Files.writeString(dir.resolve("vm.ovf"), descriptor(new String[][] {{"a", "f1", "2"}, {"b", "f1", "2"}}, files, ""));
        tar("--format=ustar", "-cf", "shared.ova", "vm.ovf", "a.vmdk", "b.vmdk").orFail();
        assertThatThrownBy(() -> OvaAppliance.read(dir.resolve("shared.ova"))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("OVF disks 'a' and 'b' are both in file 'a.vmdk'");

        Files.writeString(dir.resolve("vm.ovf"), descriptor(new String[][] {{"a", "f1", "2"}, {"b", "f2", "3"}}, files, ""));
        tar("--format=ustar", "-cf", "gone.ova", "vm.ovf", "a.vmdk").orFail();
        assertThatThrownBy(() -> OvaAppliance.read(dir.resolve("gone.ova"))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("gone.ova").hasMessageContaining("references 'b.vmdk' (disk 'b'), which is not in the archive");
    }
}
