package io.amiforge.cloud.server.ebs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The digest cache: what it keeps, what it forgets, and that it never grows past its capacity. */
class BlockDigestsTest {

    private static byte[] digest(int n) {
        byte[] d = new byte[32];
        d[0] = (byte) n;
        return d;
    }

    @Test
    void keepsDigestsPerSnapshotAndForgetsADeletedOne() {
        BlockDigests digests = new BlockDigests();
        digests.putAll("store/snap-a", Map.of(0L, digest(1), 7L, digest(2)));
        digests.put("store/snap-b", 7L, digest(3));
        assertThat(digests.get("store/snap-a", 7L)).isEqualTo(digest(2));
        assertThat(digests.get("store/snap-b", 7L)).isEqualTo(digest(3));
        assertThat(digests.get("store/snap-a", 1L)).isNull();
        assertThat(digests.get("other/snap-a", 0L)).as("another store's snapshot").isNull();
        digests.forget("store/snap-a");
        assertThat(digests.get("store/snap-a", 0L)).isNull();
        assertThat(digests.get("store/snap-b", 7L)).isEqualTo(digest(3));
    }

    @Test
    void dropsTheLeastRecentlyUsedSnapshotWhenFullAndRefusesOneLargerThanCapacity() {
        BlockDigests digests = new BlockDigests();
        Map<Long, byte[]> half = new HashMap<>();
        for (long b = 0; b < BlockDigests.CAPACITY / 2; b++) {
            half.put(b, digest(1));
        }
        digests.putAll("s/old", half);
        digests.putAll("s/used", half);
        assertThat(digests.get("s/old", 5L)).as("both fit").isNotNull();
        assertThat(digests.get("s/used", 5L)).isNotNull(); // s/used is now the most recently used
        digests.put("s/new", 0L, digest(9));
        assertThat(digests.get("s/old", 5L)).as("the least recently used snapshot made room").isNull();
        assertThat(digests.get("s/used", 5L)).isNotNull();
        assertThat(digests.get("s/new", 0L)).isEqualTo(digest(9));

        Map<Long, byte[]> tooMany = new HashMap<>(half);
        for (long b = BlockDigests.CAPACITY / 2; b <= BlockDigests.CAPACITY; b++) {
            tooMany.put(b, digest(2));
        }
        digests.putAll("s/huge", tooMany);
        assertThat(digests.get("s/huge", 0L)).as("more digests than the capacity are not kept").isNull();
    }
}
