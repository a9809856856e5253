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
                .hasMessageContaining("references 'missing.vmdk', which is not in the archive");

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
}
