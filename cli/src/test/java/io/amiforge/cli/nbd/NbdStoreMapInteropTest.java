package io.amiforge.cli.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import io.amiforge.cli.store.StoreAccess;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nbdinfo --map} against {@code amiforge nbd serve} of a store volume and a snapshot of
 * it: the extents shown are exactly the blocks written (minus the ones discarded), straight from
 * the store's allocation map (stored zeros are data: nothing is scanned).
 */
@Tag("interop")
class NbdStoreMapInteropTest {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void nbdinfoMapShowsExactlyTheWrittenExtentsOfAVolumeAndItsSnapshot() throws Exception {
        Path nbdinfo = Interop.tool("nbdinfo");
        Path store = dir.resolve("store");
        String snapshotId;
        try (SnapshotStore s = SnapshotStore.open(StoreAccess.storeDir(store, "us-east-1"));
             Volume v = s.createVolume("web", 16L * MIB, io.amiforge.store.VolumeOptions.defaults())) {
            v.write(MIB, MemorySegment.ofArray(filled(512 * KIB, 0x5a)));
            snapshotId = s.createSnapshot("web", "before").id();
            v.discard(MIB + 256 * KIB, 64 * KIB);
            v.write(9L * MIB, MemorySegment.ofArray(filled(4 * KIB, 0x11)));
            v.write(12L * MIB, MemorySegment.ofArray(new byte[64 * KIB])); // stored zeros: data, no zero scan
            v.flush();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(
                new PrintWriter(out, true), new PrintWriter(err, true), "nbd", "serve", "web", snapshotId,
                "--listen", "127.0.0.1:0", "--json", "--store", store.toString(), "--region", "us-east-1"));
        try {
            int port = NbdServeCommandTest.awaitPort(out, err, serving);
            assertThat(map(nbdinfo, "nbd://127.0.0.1:" + port + "/web")).containsExactly(
                    "0 1048576 3 hole,zero",
                    "1048576 262144 0 data",
                    "1310720 65536 3 hole,zero",
                    "1376256 196608 0 data",
                    "1572864 7864320 3 hole,zero",
                    "9437184 4096 0 data",
                    "9441280 3141632 3 hole,zero",
                    "12582912 65536 0 data",
                    "12648448 4128768 3 hole,zero");
            assertThat(map(nbdinfo, "nbd://127.0.0.1:" + port + "/" + snapshotId)).containsExactly(
                    "0 1048576 3 hole,zero",
                    "1048576 524288 0 data",
                    "1572864 15204352 3 hole,zero");
        } finally {
            NbdServeCommand.requestStop();
            assertThat(serving.get(20, TimeUnit.SECONDS)).as(err.toString()).isZero();
        }
    }

    private static List<String> map(Path nbdinfo, String uri) {
        Processes.Result result = Processes.run(List.of(nbdinfo.toString(), "--map", uri)).orFail();
        return result.output().lines().map(String::trim).map(l -> l.replaceAll("\\s+", " ")).toList();
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
