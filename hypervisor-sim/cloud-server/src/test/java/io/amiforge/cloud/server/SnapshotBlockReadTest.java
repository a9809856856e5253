package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GetSnapshotBlock keeps snapshot devices open between requests ({@code SnapshotReaders}); a
 * snapshot deleted meanwhile is not read from a kept device but answered as missing. Checksums
 * are hashed once per block ({@code BlockDigests}) and stay right on every later read.
 */
class SnapshotBlockReadTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void blocksReadRepeatedlyAreRightAndADeletedSnapshotIsNotFound() throws Exception {
        try (TestCloud c = new TestCloud(dir)) {
            SignedHttp http = new SignedHttp(c.endpoint());
            String snapshot = JSON.readTree(http.send(c.alice, "ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                    "{\"VolumeSize\":1}".getBytes(StandardCharsets.UTF_8), false).body()).path("SnapshotId").asText();
            byte[][] blocks = new byte[3][512 * 1024];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i][i * 1000] = (byte) (i + 1);
                String sum = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(blocks[i]));
                assertThat(http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/" + (i * 7), Map.of(
                        "x-amz-Data-Length", "524288", "x-amz-Checksum", sum, "x-amz-Checksum-Algorithm", "SHA256"), blocks[i],
                        false).status()).isEqualTo(201);
            }
            assertThat(http.send(c.alice, "ebs", "POST", "/snapshots/completion/" + snapshot, Map.of("x-amz-ChangedBlocksCount",
                    "3"), new byte[0], false).status()).isEqualTo(202);
            JsonNode listed = JSON.readTree(http.send(c.alice, "ebs", "GET", "/snapshots/" + snapshot + "/blocks", Map.of(),
                    new byte[0], false).body());
            for (int round = 0; round < 2; round++) {
                for (JsonNode b : listed.path("Blocks")) {
                    int index = b.path("BlockIndex").asInt();
                    SignedHttp.Answer got = get(http, c, snapshot, b);
                    assertThat(got.status()).isEqualTo(200);
                    assertThat(got.header("x-amz-Checksum")).isEqualTo(Base64.getEncoder().encodeToString(
                            MessageDigest.getInstance("SHA-256").digest(blocks[index / 7])));
                }
            }
            assertThat(http.ec2(c.alice, "Action=DeleteSnapshot&Version=2016-11-15&SnapshotId=" + snapshot).status())
                    .isEqualTo(200);
            SignedHttp.Answer gone = get(http, c, snapshot, listed.path("Blocks").get(0));
            assertThat(gone.status()).isEqualTo(404);
            assertThat(gone.header("x-amzn-ErrorType")).isEqualTo("ResourceNotFoundException");
        }
    }

    @Test
    void aBlockOfASnapshotMadeOutsideEbsDirectCarriesItsOwnChecksumOnEveryRead() throws Exception {
        try (TestCloud c = new TestCloud(dir)) {
            byte[] data = new byte[512 * 1024];
            new java.util.Random(5).nextBytes(data);
            TenantStore store = c.cloud.store("us-east-1", TestCloud.ALICE);
            try (Volume v = store.createVolume("made-by-cli", 1L << 30, VolumeOptions.defaults())) {
                v.write(3L * data.length, MemorySegment.ofArray(data));
            }
            String snapshot = store.createSnapshot("made-by-cli", "outside EBS direct").id();
            SignedHttp http = new SignedHttp(c.endpoint());
            JsonNode listed = JSON.readTree(http.send(c.alice, "ebs", "GET", "/snapshots/" + snapshot + "/blocks", Map.of(),
                    new byte[0], false).body());
            JsonNode block = listed.path("Blocks").get(0);
            assertThat(block.path("BlockIndex").asInt()).isEqualTo(3);
            String expected = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(data));
            for (int round = 0; round < 3; round++) {
                SignedHttp.Answer got = get(http, c, snapshot, block);
                assertThat(got.status()).isEqualTo(200);
                assertThat(got.header("x-amz-Checksum")).as("read %d", round).isEqualTo(expected);
            }
        }
    }

    private static SignedHttp.Answer get(SignedHttp http, TestCloud c, String snapshot, JsonNode block) {
        return http.send(c.alice, "ebs", "GET", "/snapshots/" + snapshot + "/blocks/" + block.path("BlockIndex").asInt()
                + "?blockToken=" + block.path("BlockToken").asText(), Map.of(), new byte[0], false);
    }
}
