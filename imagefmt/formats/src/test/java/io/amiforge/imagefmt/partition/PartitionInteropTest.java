package io.amiforge.imagefmt.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MBR and GPT written by us and read by sfdisk, and written by sfdisk and read by us. */
@Tag("interop")
class PartitionInteropTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private JsonNode sfdiskJson(Path image) throws Exception {
        String out = Processes.run(List.of(Interop.tool("sfdisk").toString(), "--json", image.toString())).orFail().output();
        return new ObjectMapper().readTree(out.substring(out.indexOf('{'))).get("partitiontable");
    }

    private void sfdiskWrite(Path image, String script) throws Exception {
        Path s = dir.resolve("script");
        Files.writeString(s, script);
        Processes.run(List.of("bash", "-c", Interop.tool("sfdisk") + " --no-reread --no-tell-kernel " + image + " < " + s)).orFail();
    }

    @Test
    void mbrWeWriteIsReadBySfdisk() throws Exception {
        Path image = dir.resolve("mbr.img");
        try (BlockDevice disk = FileBlockDevice.create(image, 64 * MIB)) {
            byte[] code = new byte[440];
            for (int i = 0; i < code.length; i++) {
                code[i] = (byte) (i * 7 + 1);
            }
            disk.write(0, MemorySegment.ofArray(code));
            Mbr.write(disk, 0x12345678L, List.of(
                    new Partition(1, 2048, 40960, "83", "", true),
                    new Partition(3, 43008, 20480, "0c", "", false)));
            byte[] back = new byte[440];
            disk.read(0, MemorySegment.ofArray(back));
            assertThat(back).isEqualTo(code);
        }
        JsonNode t = sfdiskJson(image);
        assertThat(t.get("label").asText()).isEqualTo("dos");
        assertThat(t.get("id").asText()).isEqualTo("0x12345678");
        JsonNode p = t.get("partitions");
        assertThat(p).hasSize(2);
        assertThat(p.get(0).get("start").asLong()).isEqualTo(2048);
        assertThat(p.get(0).get("size").asLong()).isEqualTo(40960);
        assertThat(p.get(0).get("type").asText()).isEqualTo("83");
        assertThat(p.get(0).path("bootable").asBoolean()).isTrue();
        assertThat(p.get(1).get("node").asText()).endsWith("3");
        assertThat(p.get(1).get("type").asText()).isEqualTo("c");
        assertThat(p.get(1).path("bootable").asBoolean()).isFalse();
        Processes.run(List.of(Interop.tool("sfdisk").toString(), "--verify", image.toString())).orFail();
    }

    @Test
    void gptWeWriteIsReadBySfdisk() throws Exception {
        Path image = dir.resolve("gpt.img");
        String guid = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
        try (BlockDevice disk = FileBlockDevice.create(image, 64 * MIB)) {
            Gpt.write(disk, guid, List.of(
                    new Partition(1, 2048, 4096, "21686148-6449-6E6F-744E-656564454649", "bios boot", false),
                    new Partition(2, 6144, 100000, Partition.GPT_LINUX, "rööt", true)));
        }
        JsonNode t = sfdiskJson(image);
        assertThat(t.get("label").asText()).isEqualTo("gpt");
        assertThat(t.get("id").asText()).isEqualTo(guid);
        assertThat(t.get("firstlba").asLong()).isEqualTo(34);
        assertThat(t.get("lastlba").asLong()).isEqualTo(64 * MIB / 512 - 34);
        JsonNode p = t.get("partitions");
        assertThat(p).hasSize(2);
        assertThat(p.get(1).get("start").asLong()).isEqualTo(6144);
        assertThat(p.get(1).get("size").asLong()).isEqualTo(100000);
        assertThat(p.get(1).get("type").asText()).isEqualTo(Partition.GPT_LINUX);
        assertThat(p.get(1).get("name").asText()).isEqualTo("rööt");
        assertThat(p.get(1).get("attrs").asText()).contains("LegacyBIOSBootable");
        assertThat(p.get(0).get("name").asText()).isEqualTo("bios boot");
        Processes.run(List.of(Interop.tool("sfdisk").toString(), "--verify", image.toString())).orFail();
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            PartitionTable back = PartitionTable.read(disk);
            assertThat(back.warnings()).isEmpty();
            assertThat(back.partitions()).extracting(Partition::name).containsExactly("bios boot", "rööt");
        }
    }

    @Test
    void mbrWithLogicalsFromSfdisk() throws Exception {
        Path image = dir.resolve("ext.img");
        Files.write(image, new byte[0]);
        try (BlockDevice d = FileBlockDevice.create(image, 64 * MIB)) {
            assertThat(d.size()).isEqualTo(64 * MIB);
        }
        sfdiskWrite(image, """
                label: dos
                label-id: 0xdeadbeef
                start=2048, size=8192, type=83, bootable
                start=10240, size=100000, type=5
                start=12288, size=4096, type=82
                start=18432, size=8192, type=83
                start=28672, size=2048, type=7
                """);
        JsonNode t = sfdiskJson(image);
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            PartitionTable table = PartitionTable.read(disk);
            assertThat(table.scheme()).isEqualTo(PartitionTable.Scheme.MBR);
            assertThat(table.id()).isEqualTo(t.get("id").asText());
            assertThat(table.warnings()).isEmpty();
            JsonNode ps = t.get("partitions");
            assertThat(table.partitions()).hasSize(ps.size());
            for (int i = 0; i < ps.size(); i++) {
                JsonNode p = ps.get(i);
                Partition ours = table.partitions().get(i);
                assertThat(p.get("node").asText()).endsWith(String.valueOf(ours.index()));
                assertThat(ours.startLba()).isEqualTo(p.get("start").asLong());
                assertThat(ours.sectors()).isEqualTo(p.get("size").asLong());
                assertThat(Integer.parseInt(ours.type(), 16)).isEqualTo(Integer.parseInt(p.get("type").asText(), 16));
                assertThat(ours.bootable()).isEqualTo(p.path("bootable").asBoolean());
            }
        }
    }

    @Test
    void gptFromSfdiskAndBackupFallback() throws Exception {
        Path image = dir.resolve("g.img");
        try (BlockDevice d = FileBlockDevice.create(image, 32 * MIB)) {
            assertThat(d.size()).isPositive();
        }
        sfdiskWrite(image, """
                label: gpt
                start=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
                start=8192, size=20000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root fs"
                """);
        JsonNode t = sfdiskJson(image);
        try (BlockDevice disk = FileBlockDevice.open(image, false)) {
            PartitionTable table = PartitionTable.read(disk);
            assertThat(table.scheme()).isEqualTo(PartitionTable.Scheme.GPT);
            assertThat(table.id()).isEqualTo(t.get("id").asText());
            assertThat(table.warnings()).isEmpty();
            for (int i = 0; i < 2; i++) {
                JsonNode p = t.get("partitions").get(i);
                Partition ours = table.partitions().get(i);
                assertThat(ours.startLba()).isEqualTo(p.get("start").asLong());
                assertThat(ours.sectors()).isEqualTo(p.get("size").asLong());
                assertThat(ours.type()).isEqualTo(p.get("type").asText());
                assertThat(ours.name()).isEqualTo(p.get("name").asText());
            }
            // damage the primary header's CRC: the backup answers, with a warning
            disk.write(512 + 16, MemorySegment.ofArray(new byte[] {1, 2, 3, 4}));
            PartitionTable fallback = PartitionTable.read(disk);
            assertThat(fallback.partitions()).isEqualTo(table.partitions());
            assertThat(fallback.warnings()).singleElement().asString().contains("primary GPT is damaged").contains("CRC32");
            // and the backup too: a clear error
            disk.write(disk.size() - 512 + 16, MemorySegment.ofArray(new byte[] {1, 2, 3, 4}));
            assertThatThrownBy(() -> PartitionTable.read(disk)).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("both GPT headers are damaged");
        }
    }
}
