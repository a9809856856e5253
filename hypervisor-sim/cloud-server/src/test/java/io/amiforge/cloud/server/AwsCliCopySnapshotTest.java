package io.amiforge.cloud.server;

import static io.amiforge.cloud.server.TestCloud.ALICE;
import static io.amiforge.cloud.server.TestCloud.BOB;
import static io.amiforge.cloud.server.TestCloud.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CopySnapshot through Debian's unmodified AWS CLI: within a region and to another one, by the
 * owner and by an account the snapshot is shared with (and by no other), each copy a new,
 * independent snapshot with the source's contents, parent layers included.
 */
@Tag("interop")
class AwsCliCopySnapshotTest {

    @TempDir
    Path dir;

    /** A snapshot of Alice's whose parent holds block 0 and which itself holds a block at 40 MiB. */
    private static String childSnapshot(TestCloud c) {
        TenantStore store = c.cloud.store("us-east-1", ALICE);
        try (Volume v = store.createVolume("disk", 64L << 20, VolumeOptions.defaults())) {
            v.write(0, MemorySegment.ofArray(filled(1)));
            store.createSnapshot("disk", "parent");
            v.write(40L << 20, MemorySegment.ofArray(filled(2)));
            v.flush();
        }
        return store.createSnapshot("disk", "child").id();
    }

    private static byte[] filled(int value) {
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) value);
        return data;
    }

    /** Checks the copy holds the child's contents and nothing else where it was looked. */
    private static void assertContents(TestCloud c, String region, String account, String snapshotId) {
        SnapshotInfo info = c.cloud.store(region, account).snapshot(snapshotId);
        assertThat(info.ownerId()).isEqualTo(account);
        assertThat(info.parentId()).as("an independent copy").isNull();
        assertThat(info.size()).isEqualTo(64L << 20);
        try (BlockDevice device = c.cloud.store(region, account).openSnapshot(snapshotId)) {
            byte[] got = new byte[4096];
            device.read(0, MemorySegment.ofArray(got));
            assertThat(got).isEqualTo(filled(1));
            device.read(40L << 20, MemorySegment.ofArray(got));
            assertThat(got).isEqualTo(filled(2));
            device.read(20L << 20, MemorySegment.ofArray(got));
            assertThat(got).isEqualTo(new byte[4096]);
        }
    }

    @Test
    void copiesWithinAndAcrossRegionsForTheOwnerAndForAnAccountItIsSharedWith() throws Exception {
        try (TestCloud c = new TestCloud(dir)) {
            String source = childSnapshot(c);

            String same = ok(c.aws(c.alice, "us-east-1", "ec2", "copy-snapshot", "--source-region", "us-east-1",
                    "--source-snapshot-id", source, "--description", "same region")).path("SnapshotId").asText();
            assertThat(same).matches("snap-[0-9a-f]{17}").isNotEqualTo(source);
            assertContents(c, "us-east-1", ALICE, same);
            JsonNode described = ok(c.aws(c.alice, "us-east-1", "ec2", "describe-snapshots", "--snapshot-ids", same));
            assertThat(described.path("Snapshots").get(0).path("Description").asText()).isEqualTo("same region");
            assertThat(described.path("Snapshots").get(0).path("VolumeSize").asInt()).isEqualTo(1);

            String other = ok(c.aws(c.alice, "eu-west-1", "ec2", "copy-snapshot", "--source-region", "us-east-1",
                    "--source-snapshot-id", source)).path("SnapshotId").asText();
            assertContents(c, "eu-west-1", ALICE, other);
            assertThat(c.cloud.store("eu-west-1", ALICE).snapshot(other).description())
                    .isEqualTo("[Copied " + source + " from us-east-1]");

            Processes.Result refused = c.aws(c.bob, "us-east-1", "ec2", "copy-snapshot", "--source-region", "us-east-1",
                    "--source-snapshot-id", source);
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.output()).contains("InvalidSnapshot.NotFound");

            ok(c.aws(c.alice, "us-east-1", "ec2", "modify-snapshot-attribute", "--snapshot-id", source, "--attribute",
                    "createVolumePermission", "--operation-type", "add", "--user-ids", BOB));
            String bobs = ok(c.aws(c.bob, "us-west-2", "ec2", "copy-snapshot", "--source-region", "us-east-1",
                    "--source-snapshot-id", source)).path("SnapshotId").asText();
            c.cloud.store("us-east-1", ALICE).deleteSnapshot(source);
            assertContents(c, "us-west-2", BOB, bobs);
            assertThat(ok(c.aws(c.bob, "us-west-2", "ec2", "describe-snapshots", "--owner-ids", "self")).path("Snapshots"))
                    .extracting(s -> s.path("SnapshotId").asText()).containsExactly(bobs);

            Processes.Result encrypted = c.aws(c.alice, "us-east-1", "ec2", "copy-snapshot", "--source-region", "us-east-1",
                    "--source-snapshot-id", same, "--encrypted");
            assertThat(encrypted.output()).contains("InvalidParameterValue", "Encrypted");
        }
    }
}
