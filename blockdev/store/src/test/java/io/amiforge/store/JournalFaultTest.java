package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.testkit.FaultInjection;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An Error in the journal thread (injected through the file-operation hook) wakes the waiting
 * caller with it and fails every later request instead of leaving callers waiting forever; what
 * was committed before stays and the reopened store verifies clean. (Before the fix the first
 * write never returned: the timeout runs in a separate thread because a parked caller ignores interrupts.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class JournalFaultTest {

    @TempDir
    Path dir;

    @Test
    void errorInTheJournalThreadFailsPendingAndLaterRequests() {
        try (SnapshotStore s = SnapshotStore.open(dir); Volume v = s.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            v.write(0, MemorySegment.ofArray(new byte[4096]).fill((byte) 1));
            v.flush();
            s.createSnapshot("disk", "kept");
        }
        FaultInjection faults = FaultInjection.failNth(FaultInjection.Op.WRITE, 3)
                .throwing(OutOfMemoryError::new);
        SnapshotStore s = SnapshotStore.open(dir, (op, path) -> faults.before(op.name(), path));
        Volume v = s.openVolume("disk");
        MemorySegment block = MemorySegment.ofArray(new byte[4096]).fill((byte) 2);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 16; i++) {
                v.write(i * 4096L, block);
            }
        }).isInstanceOf(OutOfMemoryError.class).hasMessageContaining("injected fault");
        assertThat(faults.fired()).isTrue();
        assertThatThrownBy(v::flush).isInstanceOfSatisfying(AmiforgeException.class,
                e -> assertThat(e.code()).isEqualTo("StoreFailed")).hasMessageContaining("OutOfMemoryError");
        assertThatThrownBy(() -> s.createSnapshot("disk", "never")).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("fatal error in its journal thread");
        assertThatThrownBy(v::close).isInstanceOf(AmiforgeException.class);
        assertThatThrownBy(s::close).isInstanceOf(AmiforgeException.class);

        try (SnapshotStore again = SnapshotStore.open(dir)) {
            assertThat(again.verify().ok()).isTrue();
            assertThat(again.listSnapshots()).extracting(SnapshotInfo::description).containsExactly("kept");
            try (Volume retry = again.openVolume("disk")) {
                retry.write(0, block);
                retry.flush();
            }
            again.createSnapshot("disk", "retried");
        }
    }
}
