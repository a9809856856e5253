package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.boot.BootReport;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.spi.FileOps;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parsed registry kept between calls ({@link RegionRegistry}, {@link RegistryGeneration}):
 * it is used while nobody changed the registry, and never once anybody did, in any process.
 */
class RegistryCacheTest {

    private static final String OWNER = "111122223333";
    private static final String FRIEND = "444455556666";
    private static final String REGION = "us-east-1";
    private static final Cloud.ImageFilter MINE = new Cloud.ImageFilter(List.of("self"), null, null);

    @TempDir
    Path dir;

    private static Cloud open(Path root) {
        return Cloud.open(root, (device, image, type) -> new BootReport("hvm", BootReport.Result.HALTED, List.of(), "", null, 0,
                List.of(), null, null));
    }

    private static String snapshot(Cloud cloud, String volumeName) {
        SnapshotStore store = cloud.store(REGION);
        try (Volume volume = store.createVolume(volumeName, 1 << 20, VolumeOptions.defaults())) {
            volume.write(0, MemorySegment.ofArray(new byte[4096]));
        }
        return store.createSnapshot(volumeName, "root").id();
    }

    private static MachineImage register(Cloud cloud, String name, String snapshotId) {
        return cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest(name, null, snapshotId, VirtualizationType.HVM,
                Architecture.X86_64, null, null, null, List.of()));
    }

    @Test
    void everyChangeOfAnotherCloudOnTheRootIsSeenAtOnceEvenWithinOneTimestampTick() {
        try (Cloud writer = open(dir); Cloud reader = open(dir)) {
            String snapshot = snapshot(writer, "root");
            assertThat(reader.describeImages(OWNER, REGION, MINE)).isEmpty();
            for (int i = 1; i <= 25; i++) { // far more changes than file time stamps could tell apart
                MachineImage image = register(writer, "image-" + i, snapshot);
                assertThat(reader.describeImages(OWNER, REGION, MINE)).hasSize(i);
                writer.modifyLaunchPermission(OWNER, REGION, image.imageId(), List.of(FRIEND), List.of());
                assertThat(reader.describeImages(FRIEND, REGION, new Cloud.ImageFilter(null, null, null))).hasSize(i);
            }
            String last = reader.describeImages(OWNER, REGION, MINE).getLast().imageId();
            reader.deregisterImage(OWNER, REGION, last);
            assertThat(writer.describeImages(OWNER, REGION, MINE)).hasSize(24).noneMatch(i -> i.imageId().equals(last));
        }
    }

    @Test
    void keptStateIsUsedUntilTheGenerationMovesAndThenTheFileIsReadAgain() throws Exception {
        try (Cloud cloud = open(dir)) {
            register(cloud, "one", snapshot(cloud, "root"));
        }
        RegionRegistry registry = new RegionRegistry(dir, FileOps.REAL);
        assertThat(registry.load(REGION).images()).hasSize(1);
        Path file = dir.resolve("regions").resolve(REGION).resolve("registry.json");
        Files.writeString(file, "{ not json", StandardCharsets.UTF_8); // behind the registry's back: no new generation
        assertThat(registry.load(REGION).images()).as("kept state, the file is not read again").hasSize(1);

        RegistryGeneration generation = RegistryGeneration.open(file.resolveSibling("registry.seq"), FileOps.REAL);
        generation.beginWrite();
        generation.endWrite();
        assertThatThrownBy(() -> registry.load(REGION)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("registry.json").hasMessageContaining("cannot be read");
    }

    @Test
    void aWriterThatDiedMidChangeMakesReadersReadTheFileEveryTime() throws Exception {
        try (Cloud cloud = open(dir)) {
            register(cloud, "one", snapshot(cloud, "root"));
        }
        Path file = dir.resolve("regions").resolve(REGION).resolve("registry.json");
        RegistryGeneration generation = RegistryGeneration.open(file.resolveSibling("registry.seq"), FileOps.REAL);
        generation.beginWrite(); // and never endWrite: the process "died"
        RegionRegistry registry = new RegionRegistry(dir, FileOps.REAL);
        assertThat(registry.load(REGION).images()).hasSize(1);
        String good = Files.readString(file);
        Files.writeString(file, "{ not json", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> registry.load(REGION)).as("nothing was kept while a change was in progress")
                .isInstanceOf(AmiforgeException.class);
        Files.writeString(file, good);

        registry.mutate(REGION, state -> state.images().removeIf(i -> true)); // the next writer moves the generation on
        assertThat(RegistryGeneration.stable(generation.read())).isTrue();
        assertThat(registry.load(REGION).images()).isEmpty();
        assertThat(new RegionRegistry(dir, FileOps.REAL).load(REGION).images()).isEmpty();
    }

    @Test
    void callersGetCopiesSoAFailedOrLocalChangeDoesNotLeakIntoTheKeptState() {
        try (Cloud cloud = open(dir)) {
            register(cloud, "one", snapshot(cloud, "root"));
        }
        RegionRegistry registry = new RegionRegistry(dir, FileOps.REAL);
        registry.load(REGION).images().clear();
        assertThat(registry.load(REGION).images()).hasSize(1);
        assertThatThrownBy(() -> registry.mutate(REGION, state -> {
            state.images().clear();
            throw new IllegalStateException("change refused");
        })).hasMessage("change refused");
        assertThat(registry.load(REGION).images()).hasSize(1);
    }
}
