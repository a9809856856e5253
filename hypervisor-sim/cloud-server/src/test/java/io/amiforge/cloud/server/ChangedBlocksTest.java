package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ListChangedBlocks over a lineage of several snapshots, either way round, in 512 KiB blocks
 * whatever the store's block size; unrelated snapshots are EBS direct's UNRELATED_SNAPSHOTS.
 */
class ChangedBlocksTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long EBS_BLOCK = 512 * 1024;

    @TempDir
    Path dir;

    private static void write(Volume v, long ebsBlock) {
        v.write(ebsBlock * EBS_BLOCK + 8192, MemorySegment.ofArray(new byte[] {1, 2, 3}));
    }

    private static List<String> changed(SignedHttp http, TestCloud c, String first, String second) throws Exception {
        SignedHttp.Answer answer = http.send(c.alice, "ebs", "GET", "/snapshots/" + second + "/changedblocks?firstSnapshotId="
                + first, Map.of(), new byte[0], false);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        JsonNode json = JSON.readTree(answer.body());
        return json.path("ChangedBlocks").findValuesAsText("BlockIndex");
    }

    @Test
    void changesAcrossSeveralLayersEitherWayRoundAndUnrelatedSnapshotsRefused() throws Exception {
        try (TestCloud c = new TestCloud(dir)) {
            TenantStore store = c.cloud.store("us-east-1", TestCloud.ALICE);
            String a;
            String b;
            String d;
            try (Volume v = store.createVolume("lineage", 1L << 30, VolumeOptions.defaults())) {
                write(v, 0);
                write(v, 3);
                a = store.createSnapshot("lineage", "a").id();
                write(v, 3);
                write(v, 100);
                store.createSnapshot("lineage", "b");
                write(v, 7);
                b = store.createSnapshot("lineage", "c").id();
            }
            try (Volume v = store.createVolume("other", 1L << 30, VolumeOptions.defaults())) {
                write(v, 0);
                d = store.createSnapshot("other", "d").id();
            }
            SignedHttp http = new SignedHttp(c.endpoint());
            assertThat(changed(http, c, a, b)).containsExactly("3", "7", "100");
            assertThat(changed(http, c, b, a)).as("the other way round").containsExactly("3", "7", "100");
            assertThat(changed(http, c, a, a)).isEmpty();
            SignedHttp.Answer unrelated = http.send(c.alice, "ebs", "GET", "/snapshots/" + d + "/changedblocks?firstSnapshotId=" + a,
                    Map.of(), new byte[0], false);
            assertThat(unrelated.status()).isEqualTo(400);
            assertThat(unrelated.body()).contains("UNRELATED_SNAPSHOTS");
        }
    }
}
