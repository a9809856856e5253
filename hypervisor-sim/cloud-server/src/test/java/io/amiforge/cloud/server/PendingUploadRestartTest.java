package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.SimulatorBooter;
import io.amiforge.cloud.server.auth.AccessKey;
import io.amiforge.cloud.server.auth.AccessKeys;
import io.amiforge.store.VolumeInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EBS direct uploads in progress (StartSnapshot without CompleteSnapshot) outlive the server: a
 * server started on the same root continues them, or ends them in error once their Timeout passed.
 */
class PendingUploadRestartTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "111122223333";
    private static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");

    @TempDir
    Path root;

    /** One server run over the root, its clock at {@code now}, requests signed at that time too. */
    private final class Run implements AutoCloseable {
        final Cloud cloud = Cloud.open(root, new SimulatorBooter(50_000_000L));
        final CloudServer server;
        final SignedHttp http;

        Run(Instant now) {
            Clock clock = Clock.fixed(now, ZoneOffset.UTC);
            server = CloudServer.builder(cloud).listen("127.0.0.1", 0).clock(clock).build();
            http = new SignedHttp("http://127.0.0.1:" + server.start(), clock);
        }

        SignedHttp.Answer start(AccessKey key, String body) {
            return http.send(key, "ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                    body.getBytes(StandardCharsets.UTF_8), false);
        }

        SignedHttp.Answer put(AccessKey key, String snapshot, long index, byte[] block) throws Exception {
            return http.send(key, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/" + index, Map.of("x-amz-Data-Length", "524288",
                    "x-amz-Checksum", Base64.getEncoder().encodeToString(sha256(block)), "x-amz-Checksum-Algorithm", "SHA256"),
                    block, false);
        }

        String describeSnapshots(AccessKey key) {
            return http.ec2(key, "Action=DescribeSnapshots&Version=2016-11-15").body();
        }

        @Override
        public void close() {
            server.close();
            cloud.close();
        }
    }

    private static byte[] block(int seed) {
        byte[] block = new byte[512 * 1024];
        for (int i = 0; i < block.length; i += 4096) {
            block[i] = (byte) seed;
            block[i + 1] = (byte) i;
        }
        return block;
    }

    private static byte[] sha256(byte[]... parts) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (byte[] part : parts) {
            digest.update(part);
        }
        return digest.digest();
    }

    private static String snapshotId(SignedHttp.Answer started) throws Exception {
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        return JSON.readTree(started.body()).path("SnapshotId").asText();
    }

    /** An upload started with {@code request} at T0 and given block 0, by a server that then stopped. */
    private String startedWithOneBlock(AccessKey key, String request) throws Exception {
        try (Run first = new Run(T0)) {
            String snapshot = snapshotId(first.start(key, request));
            assertThat(first.put(key, snapshot, 0, block(1)).status()).isEqualTo(201);
            return snapshot;
        }
    }

    private Path log(String snapshot) {
        return root.resolve("regions/us-east-1/ebs-direct").resolve(snapshot).resolve("blocks.log");
    }

    @Test
    void aRestartedServerContinuesTheUploadAndTheSnapshotHoldsEveryBlock() throws Exception {
        AccessKey alice = AccessKeys.of(root).create(ALICE);
        String snapshot;
        try (Run first = new Run(T0)) {
            snapshot = snapshotId(first.start(alice, "{\"VolumeSize\":1,\"ClientToken\":\"upload-1\",\"Description\":\"disk\","
                    + "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}"));
            assertThat(first.put(alice, snapshot, 0, block(1)).status()).isEqualTo(201);
            assertThat(first.put(alice, snapshot, 5, block(2)).status()).isEqualTo(201);
            assertThat(first.put(alice, snapshot, 5, block(5)).status()).as("put again: the later one counts").isEqualTo(201);
        }
        // a process that died mid-append leaves a short last record: that put never returned
        Files.write(log(snapshot), new byte[] {1, 2, 3, 4, 5}, StandardOpenOption.APPEND);

        try (Run second = new Run(T0.plus(Duration.ofMinutes(30)))) {
            assertThat(second.describeSnapshots(alice)).contains("<snapshotId>" + snapshot + "</snapshotId>",
                    "<status>pending</status>", "<description>disk</description>");
            assertThat(snapshotId(second.start(alice, "{\"VolumeSize\":1,\"ClientToken\":\"upload-1\"}")))
                    .as("the ClientToken still names the upload").isEqualTo(snapshot);
            assertThat(second.put(alice, snapshot, 9, block(3)).status()).isEqualTo(201);
            String aggregated = Base64.getEncoder().encodeToString(sha256(sha256(block(1)), sha256(block(5)), sha256(block(3))));
            SignedHttp.Answer done = second.http.send(alice, "ebs", "POST", "/snapshots/completion/" + snapshot,
                    Map.of("x-amz-ChangedBlocksCount", "3", "x-amz-Checksum", aggregated, "x-amz-Checksum-Algorithm", "SHA256",
                            "x-amz-Checksum-Aggregation-Method", "LINEAR"), new byte[0], false);
            assertThat(done.status()).as(done.body()).isEqualTo(202);

            JsonNode listed = JSON.readTree(second.http.send(alice, "ebs", "GET", "/snapshots/" + snapshot + "/blocks", Map.of(),
                    new byte[0], false).body());
            assertThat(listed.path("Blocks").findValuesAsText("BlockIndex")).containsExactly("0", "5", "9");
            Map<Integer, byte[]> expected = Map.of(0, block(1), 5, block(5), 9, block(3));
            for (JsonNode b : listed.path("Blocks")) {
                int index = b.path("BlockIndex").asInt();
                SignedHttp.Answer got = second.http.send(alice, "ebs", "GET", "/snapshots/" + snapshot + "/blocks/" + index
                        + "?blockToken=" + b.path("BlockToken").asText(), Map.of(), new byte[0], false);
                assertThat(got.header("x-amz-Checksum")).isEqualTo(Base64.getEncoder().encodeToString(sha256(expected.get(index))));
            }
            assertThat(second.cloud.store("us-east-1", ALICE).listVolumes()).extracting(VolumeInfo::name).isEmpty();
            assertThat(root.resolve("regions/us-east-1/ebs-direct").resolve(snapshot)).doesNotExist();
        }
    }

    @Test
    void anUploadWhoseTimeoutPassedWhileNoServerRanEndsInErrorAndStaysSo() throws Exception {
        AccessKey alice = AccessKeys.of(root).create(ALICE);
        String snapshot = startedWithOneBlock(alice, "{\"VolumeSize\":1,\"Timeout\":10}");
        for (int restart = 0; restart < 2; restart++) {
            try (Run later = new Run(T0.plus(Duration.ofMinutes(11 + restart)))) {
                SignedHttp.Answer put = later.put(alice, snapshot, 1, block(2));
                assertThat(put.status()).isEqualTo(400);
                assertThat(put.body()).contains("INVALID_SNAPSHOT_ID", "Timeout passed");
                assertThat(later.describeSnapshots(alice)).doesNotContain(snapshot);
                assertThat(later.cloud.store("us-east-1", ALICE).listVolumes()).as("the upload's volume is deleted").isEmpty();
            }
        }
    }

    @Test
    void aDamagedBlockLogEndsTheUploadInErrorNamingTheDamageAndAnUnreadableRecordIsLeftAlone() throws Exception {
        AccessKey alice = AccessKeys.of(root).create(ALICE);
        String snapshot = startedWithOneBlock(alice, "{\"VolumeSize\":1}");
        byte[] log = Files.readAllBytes(log(snapshot));
        log[10] ^= 1;
        Files.write(log(snapshot), log);
        // and a record no server could have written: it is left alone, and the server still starts
        Path forged = root.resolve("regions/us-east-1/ebs-direct/snap-0123456789abcdef0");
        Files.createDirectories(forged);
        Files.writeString(forged.resolve("upload.json"), "{\"snapshotId\":\"snap-0123456789abcdef0\",\"region\":\"mars-1\"}");
        try (Run second = new Run(T0.plus(Duration.ofMinutes(1)))) {
            assertThat(second.put(alice, "snap-0123456789abcdef0", 0, block(1)).status()).isEqualTo(404);
            assertThat(forged.resolve("upload.json")).exists();
            SignedHttp.Answer put = second.put(alice, snapshot, 1, block(2));
            assertThat(put.status()).isEqualTo(400);
            assertThat(put.body()).contains("blocks.log", "damaged");
            assertThat(second.cloud.store("us-east-1", ALICE).listVolumes()).isEmpty();
        }
    }
}
