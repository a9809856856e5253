package io.amiforge.cloud.shape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Ids;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.VolumeInfo;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The EC2 shapes' derived fields: GiB rounding, states, attachments, tags, and the id checks. */
class ShapesTest {

    private static final Instant T = Instant.parse("2026-12-04T12:00:00Z");

    @Test
    void sizesAreWholeGibRoundedUpWithTheExactBytesBeside() {
        assertThat(Gib.ceil(1)).isEqualTo(1);
        assertThat(Gib.ceil(1L << 30)).isEqualTo(1);
        assertThat(Gib.ceil((1L << 30) + 1)).isEqualTo(2);
        VolumeShape v = VolumeShape.of(new VolumeInfo("web", "vol-0123456789abcdef0", 10L << 20, 4096, "cow", "flat", null, T,
                "111122223333", null), "us-east-1a");
        assertThat(v.size()).isEqualTo(1);
        assertThat(v.sizeBytes()).isEqualTo(10L << 20);
        assertThat(v.state()).isEqualTo("available");
        assertThat(v.attachments()).isEmpty();
        assertThat(v.createTime()).isEqualTo("2026-12-04T12:00:00Z");
    }

    @Test
    void anAttachedVolumeIsInUseOnTheDeviceItsNameSays() {
        VolumeShape v = VolumeShape.of(new VolumeInfo("i-0123456789abcdef0-xvda", "vol-0123456789abcdef0", 1L << 30, 4096, "cow",
                "flat", "snap-0123456789abcdef0", T, "111122223333", "i-0123456789abcdef0"), "us-east-1a");
        assertThat(v.state()).isEqualTo("in-use");
        assertThat(v.attachments()).containsExactly(new VolumeShape.Attachment("vol-0123456789abcdef0", "i-0123456789abcdef0",
                "/dev/xvda", "attached"));
    }

    @Test
    void snapshotsSplitTagsFromOtherAttributesAndHideVolumesTheViewerHasNot() {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("tag:Name", "base");
        attributes.put("remote-snapshot", "snap-00000000");
        SnapshotInfo s = new SnapshotInfo("snap-0123456789abcdef0", "web", null, 3L << 29, 4096, "d", T, 7, attributes,
                "111122223333", List.of("all", "444455556666"));
        SnapshotShape mine = SnapshotShape.of(s, Map.of("web", "vol-0123456789abcdef0"), false);
        assertThat(mine.volumeId()).isEqualTo("vol-0123456789abcdef0");
        assertThat(mine.volumeSize()).isEqualTo(2);
        assertThat(mine.state()).isEqualTo("completed");
        assertThat(mine.progress()).isEqualTo("100%");
        assertThat(mine.tags()).containsExactly(new SnapshotShape.Tag("Name", "base"));
        assertThat(mine.attributes()).containsOnly(Map.entry("remote-snapshot", "snap-00000000"));
        assertThat(mine.createVolumePermissions()).containsExactly(new SnapshotShape.Permission(null, "all"),
                new SnapshotShape.Permission("444455556666", null));
        SnapshotShape pending = SnapshotShape.of(s, Map.of(), true);
        assertThat(pending.volumeId()).isEqualTo(SnapshotShape.UNKNOWN_VOLUME);
        assertThat(pending.state()).isEqualTo("pending");
        assertThat(pending.progress()).isEqualTo("0%");
    }

    @Test
    void idsOfEightOrSeventeenHexDigitsPassAndOthersAreMalformedWithEc2sCode() {
        assertThat(Ids.require(Ids.Resource.IMAGE, "ami-0123abcd")).isEqualTo("ami-0123abcd");
        assertThat(Ids.require(Ids.Resource.INSTANCE, "i-0123456789abcdef0")).isEqualTo("i-0123456789abcdef0");
        for (String bad : new String[] {null, "", "ami-", "ami-0123abc", "ami-0123456789ABCDEF0", "snap-0123abcd",
                "ami-0123abcd ", "ami-0123456789abcdef00"}) {
            assertThatThrownBy(() -> Ids.require(Ids.Resource.IMAGE, bad)).as(String.valueOf(bad))
                    .isInstanceOfSatisfying(AmiforgeException.class, e -> {
                        assertThat(e.code()).isEqualTo("InvalidAMIID.Malformed");
                        assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.USAGE);
                        assertThat(e.getMessage()).contains("\"" + bad + "\"", "ami-");
                    });
        }
        assertThat(Ids.Resource.SNAPSHOT.malformedCode()).isEqualTo("InvalidSnapshotID.Malformed");
        assertThat(Ids.Resource.VOLUME.malformedCode()).isEqualTo("InvalidVolumeID.Malformed");
    }
}
