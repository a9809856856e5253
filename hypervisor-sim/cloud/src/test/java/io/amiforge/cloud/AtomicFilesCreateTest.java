package io.amiforge.cloud;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AtomicFiles#createOwnerOnly}: one creator wins a race, whole, 0600, nothing left behind. */
class AtomicFilesCreateTest {

    @TempDir
    Path dir;

    @Test
    void ofManyRacingCreatorsExactlyOneWinsAndTheFileHoldsItsBytes() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 50; round++) {
                Path file = dir.resolve("key-" + round);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    byte[] bytes = ("creator " + t + " ").repeat(4096).getBytes(StandardCharsets.US_ASCII);
                    Callable<Boolean> create = () -> AtomicFiles.createOwnerOnly(file, bytes);
                    results.add(pool.submit(create));
                }
                int winner = -1;
                for (int t = 0; t < 8; t++) {
                    if (results.get(t).get()) {
                        assertEquals(-1, winner, "two creators both won round " + round);
                        winner = t;
                    }
                }
                assertArrayEquals(("creator " + winner + " ").repeat(4096).getBytes(StandardCharsets.US_ASCII),
                        Files.readAllBytes(file), "round " + round + ": the winner's bytes, whole");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            }
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }
}
