package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.spi.LayerStack;
import io.amiforge.store.spi.Plugins;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.ReadIndexProvider;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import io.amiforge.store.spi.StrategyStats;
import io.amiforge.store.spi.WriteStrategy;
import io.amiforge.store.spi.WriteStrategyProvider;
import io.amiforge.store.strategy.CowWrite;
import java.lang.foreign.MemorySegment;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The strategy SPI: built-ins found by ServiceLoader, names checked, plug-ins registered, names persisted. */
class StrategySpiTest {

    @TempDir
    Path dir;

    @Test
    void builtInsAreRegisteredThroughTheServiceLoader() {
        assertThat(Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY)).startsWith("row", "cow");
        assertThat(Strategies.names(StrategyProvider.Kind.READ_INDEX)).startsWith("walk", "flat");
        for (String name : List.of("row", "cow")) {
            WriteStrategyProvider p = Strategies.writeStrategy(name);
            assertThat(Strategies.origin(p)).isEqualTo(Plugins.BUILT_IN);
            assertThat(p.description()).isNotBlank();
            assertThat(p.kind()).isEqualTo(StrategyProvider.Kind.WRITE_STRATEGY);
        }
        assertThat(Strategies.writeStrategy("row").create().freezesOnSnapshot()).isTrue();
        assertThat(Strategies.writeStrategy("cow").create().freezesOnSnapshot()).isFalse();
        assertThat(Strategies.readIndex("flat").kind()).isEqualTo(StrategyProvider.Kind.READ_INDEX);
    }

    @Test
    void unknownNameIsAUsageErrorListingTheKnownOnes() {
        assertThatThrownBy(() -> VolumeOptions.defaults().writeStrategy("rwo"))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.USAGE))
                .hasMessageContaining("write-strategy 'rwo'").hasMessageContaining("row, cow");
        assertThatThrownBy(() -> VolumeOptions.defaults().readIndex("flatt"))
                .hasMessageContaining("read-index 'flatt'").hasMessageContaining("walk, flat");
    }

    @Test
    void aVolumeWhoseStrategyIsGoneFailsNamingTheVolumeAndTheStrategy() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.createVolume("disk", 1 << 16, VolumeOptions.defaults()).close();
        }
        // the volume was made with a plug-in that is no longer on the path
        Catalog catalog = CatalogFiles.fold(dir);
        catalog.volumes.get("disk").write = "vanished";
        catalog.save(dir.resolve("catalog"));
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.volume("disk").writeStrategy()).isEqualTo("vanished");
            assertThatThrownBy(() -> store.openVolume("disk"))
                    .isInstanceOfSatisfying(StoreException.class, e -> {
                        assertThat(e.code()).isEqualTo("InvalidStrategy.NotFound");
                        assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND);
                    })
                    .hasMessageContaining("volume 'disk'").hasMessageContaining("write-strategy 'vanished'")
                    .hasMessageContaining("row, cow");
        }
    }

    @Test
    void aRegisteredPlugInIsUsedByNameReportsItsCountersAndIsPersisted() throws Exception {
        register(CountingWrite.Provider.class);
        assertThat(Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY)).contains("test_counting");
        // the same class from another loader's services is not registered twice
        assertThat(Strategies.register(loaderListing(CountingWrite.Provider.class))).isEmpty();

        MemorySegment one = MemorySegment.ofArray(new byte[4096]).fill((byte) 1);
        MemorySegment two = MemorySegment.ofArray(new byte[4096]).fill((byte) 2);
        String snap;
        try (SnapshotStore store = SnapshotStore.open(dir);
                Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults().writeStrategy("test_counting"))) {
            v.write(0, one);
            v.write(4096, one);
            snap = store.createSnapshot("disk", "ones").id();
            v.write(0, two);
            v.flush();
            // in place (like cow): the overwrite copied block 0 out into the snapshot first
            assertThat(v.stats().blocksCopied()).isEqualTo(1);
            assertThat(v.stats().strategyCounters()).containsEntry("test_counting.overwrites", 3L)
                    .containsEntry("flat.entries", 2L);
        }
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.openVolume("disk");
                var s = store.openSnapshot(snap)) {
            assertThat(store.volume("disk").writeStrategy()).isEqualTo("test_counting");
            MemorySegment buf = MemorySegment.ofArray(new byte[4096]);
            v.read(0, buf);
            assertThat(buf.mismatch(two)).isEqualTo(-1);
            s.read(0, buf);
            assertThat(buf.mismatch(one)).isEqualTo(-1);
            assertThat(v.stats().strategyCounters()).containsEntry("test_counting.overwrites", 0L);
        }
    }

    @Test
    void aReadIndexPlugInThatKeepsOnlyOrdinalsStillResolvesThroughTheLayers() throws Exception {
        Strategies.register(loaderListing(ReadIndexProvider.class, OrdinalIndex.Provider.class));
        MemorySegment one = MemorySegment.ofArray(new byte[4096]).fill((byte) 1);
        MemorySegment two = MemorySegment.ofArray(new byte[4096]).fill((byte) 2);
        MemorySegment zeros = MemorySegment.ofArray(new byte[4096]);
        MemorySegment buf = MemorySegment.ofArray(new byte[4096]);
        try (SnapshotStore store = SnapshotStore.open(dir);
                Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults().readIndex("test_ordinals"))) {
            v.write(0, one);
            v.write(4096, one);
            store.createSnapshot("disk", "ones");
            v.write(0, two);
            v.discard(4096, 4096);
            v.read(0, buf);
            assertThat(buf.mismatch(two)).isEqualTo(-1);
            v.read(4096, buf);
            assertThat(buf.mismatch(zeros)).isEqualTo(-1);
            assertThat(v.stats().strategyCounters()).containsEntry("test_ordinals.told", 4L);
        }
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.openVolume("disk")) {
            v.read(0, buf);
            assertThat(buf.mismatch(two)).isEqualTo(-1);
            v.read(4096, buf);
            assertThat(buf.mismatch(zeros)).isEqualTo(-1);
            v.read(8192, buf);
            assertThat(buf.mismatch(zeros)).isEqualTo(-1);
        }
    }

    @Test
    void aPlugInWhoseNameIsTakenIsRefusedNamingBothProviders() throws Exception {
        assertThatThrownBy(() -> register(FakeRow.class))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidPlugin"))
                .hasMessageContaining("write-strategy 'row'").hasMessageContaining(FakeRow.class.getName())
                .hasMessageContaining("RowWrite");
        assertThat(Strategies.writeStrategy("row").getClass().getName()).endsWith("RowWrite$Provider");
    }

    @Test
    void aPlugInPathEntryThatDoesNotExistOrIsNotAJarIsRefused() throws Exception {
        assertThatThrownBy(() -> Plugins.load(Plugins.parse(dir.resolve("nope") + ":")))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.USAGE))
                .hasMessageContaining("nope").hasMessageContaining("no such file");
        assertThat(Plugins.parse(" a : :b.jar")).containsExactly(Path.of("a"), Path.of("b.jar"));
        assertThat(Plugins.load(List.of(dir))).hasSize(1); // a directory without jars adds nothing
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("broken.jar"), "not a zip");
        assertThatThrownBy(() -> Plugins.load(List.of(bad)))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidPlugin"))
                .hasMessageContaining("broken.jar");
    }

    private void register(Class<? extends WriteStrategyProvider> provider) throws Exception {
        Strategies.register(loaderListing(provider));
    }

    /** A class loader whose services file lists {@code provider} (a class of the test class path). */
    private URLClassLoader loaderListing(Class<?> provider) throws Exception {
        return loaderListing(WriteStrategyProvider.class, provider);
    }

    /** A class loader whose services file of {@code service} lists {@code provider}. */
    private URLClassLoader loaderListing(Class<?> service, Class<?> provider) throws Exception {
        Path root = Files.createTempDirectory(dir, "plugin");
        Path services = root.resolve("META-INF/services/" + service.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, provider.getName() + "\n");
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, getClass().getClassLoader());
    }

    /** Copy-on-write that counts the overwrites it was asked about. */
    public static final class CountingWrite implements WriteStrategy {

        private final CowWrite cow = new CowWrite();
        private final AtomicLong overwrites = new AtomicLong();

        @Override
        public boolean freezesOnSnapshot() {
            return false;
        }

        @Override
        public void beforeOverwrite(CopyOutContext context, long block) {
            overwrites.incrementAndGet();
            cow.beforeOverwrite(context, block);
        }

        @Override
        public StrategyStats stats() {
            return sink -> sink.accept("overwrites", overwrites.get());
        }

        /** Registers {@code test_counting}. */
        public static final class Provider implements WriteStrategyProvider {
            @Override
            public String name() {
                return "test_counting";
            }

            @Override
            public String description() {
                return "copy-on-write, counting overwrites";
            }

            @Override
            public WriteStrategy create() {
                return new CountingWrite();
            }
        }
    }

    /**
     * A read index written against the SPI before entries: it keeps ordinals only, implements
     * {@code find} and the two-argument {@code written}, and leaves {@code locate} to the default
     * (ordinal, then the layer's entry).
     */
    public static final class OrdinalIndex implements ReadIndex {

        @Override
        public Resolver build(LayerStack stack) {
            Map<Long, Integer> top = new ConcurrentHashMap<>();
            for (int ordinal = 0; ordinal < stack.depth(); ordinal++) {
                int o = ordinal;
                stack.forEachBlock(ordinal, block -> top.put(block, o));
            }
            return new Ordinals(stack, top, new AtomicLong());
        }

        private record Ordinals(LayerStack stack, Map<Long, Integer> top, AtomicLong told) implements Resolver {
            @Override
            public int find(long block) {
                return top.getOrDefault(block, -1);
            }

            @Override
            public int visited(int found) {
                return 1;
            }

            @Override
            public void written(long block, int ordinal) {
                told.incrementAndGet();
                top.put(block, ordinal);
            }

            @Override
            public Resolver grown(LayerStack grown) {
                return new Ordinals(grown, top, told);
            }

            @Override
            public StrategyStats stats() {
                return sink -> sink.accept("told", told.get());
            }
        }

        /** Registers {@code test_ordinals}. */
        public static final class Provider implements ReadIndexProvider {
            @Override
            public String name() {
                return "test_ordinals";
            }

            @Override
            public String description() {
                return "block to ordinal only (the SPI before entries)";
            }

            @Override
            public ReadIndex create() {
                return new OrdinalIndex();
            }
        }
    }

    /** A second provider of "row", which the registry must refuse. */
    public static final class FakeRow implements WriteStrategyProvider {
        @Override
        public String name() {
            return "row";
        }

        @Override
        public String description() {
            return "an impostor";
        }

        @Override
        public WriteStrategy create() {
            throw new AssertionError("never registered");
        }
    }
}
