package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CopySnapshot ({@link Cloud#copySnapshot}): who may copy what, and that each copy is new and independent. */
class SnapshotCopyTest {

    private static final String OWNER = "111122223333";
    private static final String FRIEND = "444455556666";
    private static final String STRANGER = "777788889999";

    @TempDir
    Path dir;

    private static byte[] filled(int value) {
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) value);
        return data;
    }

    private static byte[] read(Cloud cloud, String region, String account, String snapshotId, long offset) {
        byte[] got = new byte[4096];
        try (BlockDevice device = cloud.store(region, account).openSnapshot(snapshotId)) {
            device.read(offset, MemorySegment.ofArray(got));
        }
        return got;
    }

    @Test
    void ownerAndSharedAccountsCopyWithinAndAcrossRegionsOthersDoNotAndCopiesOutliveTheSource() {
        try (Cloud cloud = Cloud.open(dir, (device, image, type) -> new BootReport("hvm", BootReport.Result.HALTED, List.of(), "",
                null, 0, List.of(), null, null))) {
            TenantStore store = cloud.store("us-east-1", OWNER);
            String source;
            try (Volume v = store.createVolume("disk", 8L << 20, VolumeOptions.defaults())) {
                v.write(0, MemorySegment.ofArray(filled(1)));
                store.createSnapshot("disk", "parent");
                v.write(4L << 20, MemorySegment.ofArray(filled(2)));
                source = store.createSnapshot("disk", "child").id();
            }
            SnapshotInfo same = cloud.copySnapshot(OWNER, "us-east-1", source, "us-east-1", null);
            SnapshotInfo again = cloud.copySnapshot(OWNER, "us-east-1", source, "us-east-1", "again");
            assertThat(same.id()).isNotEqualTo(source).isNotEqualTo(again.id());
            assertThat(same.description()).isEqualTo("[Copied " + source + " from us-east-1]");
            assertThat(same.parentId()).isNull();
            SnapshotInfo west = cloud.copySnapshot(OWNER, "us-east-1", source, "us-west-2", "west");
            assertThat(read(cloud, "us-west-2", OWNER, west.id(), 0)).isEqualTo(filled(1));
            assertThat(read(cloud, "us-west-2", OWNER, west.id(), 4L << 20)).isEqualTo(filled(2));

            assertThatThrownBy(() -> cloud.copySnapshot(STRANGER, "us-east-1", source, "us-east-1", null))
                    .isInstanceOf(AmiforgeException.class)
                    .satisfies(e -> assertThat(((AmiforgeException) e).code()).isEqualTo("InvalidSnapshot.NotFound"));
            store.modifyCreateVolumePermission(source, List.of(FRIEND), List.of());
            SnapshotInfo friends = cloud.copySnapshot(FRIEND, "us-east-1", source, "eu-west-1", null);
            assertThat(friends.ownerId()).isEqualTo(FRIEND);

            store.deleteSnapshot(source);
            for (SnapshotInfo copy : List.of(same, again)) {
                assertThat(read(cloud, "us-east-1", OWNER, copy.id(), 4L << 20)).isEqualTo(filled(2));
            }
            assertThat(read(cloud, "eu-west-1", FRIEND, friends.id(), 0)).isEqualTo(filled(1));
            assertThatThrownBy(() -> cloud.copySnapshot(OWNER, "us-east-1", source, "us-east-1", null))
                    .isInstanceOf(AmiforgeException.class);
        }
    }
}
