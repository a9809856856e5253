package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cloud.server.auth.AccessKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad request gets the error AWS gives for it (code, HTTP status, a message
 * naming the problem; never a stack trace), and leaves the store byte for byte as it was.
 * Requests are signed by the AWS SDK's signer, so a refusal is the server's, not a signing bug.
 */
class ServerErrorsTest {

    @TempDir
    Path dir;

    TestCloud c;
    SignedHttp http;

    @BeforeEach
    void start() {
        c = new TestCloud(dir);
        http = new SignedHttp(c.endpoint());
    }

    @AfterEach
    void stop() {
        c.close();
    }

    private static String code(SignedHttp.Answer answer) {
        Matcher m = Pattern.compile("<Code>([^<]*)</Code>").matcher(answer.body());
        return m.find() ? m.group(1) : answer.header("x-amzn-ErrorType");
    }

    /** Every file under the regions (path, length, SHA-256), lock files aside. */
    private Map<String, String> storeFiles() throws Exception {
        Map<String, String> files = new TreeMap<>();
        Path regions = dir.resolve("regions");
        if (!Files.exists(regions)) {
            return files;
        }
        try (Stream<Path> walk = Files.walk(regions)) {
            for (Path p : walk.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".lock")).toList()) {
                files.put(regions.relativize(p).toString(),
                        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return files;
    }

    @Test
    void bothSignatureFormsAreAcceptedAndBadOnesRefusedAsEc2DoesWithTheStoreUnchanged() throws Exception {
        SignedHttp.Answer header = http.ec2(c.alice, "Action=DescribeRegions&Version=2016-11-15");
        assertThat(header.status()).isEqualTo(200);
        assertThat(header.body()).contains("<DescribeRegionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">",
                "<regionName>us-west-2</regionName>");
        SignedHttp.Answer query = http.send(c.alice, "ec2", "GET", "/?Action=DescribeAvailabilityZones&Version=2016-11-15",
                Map.of(), new byte[0], true);
        assertThat(query.status()).as(query.body()).isEqualTo(200);
        assertThat(query.body()).contains("<zoneName>us-east-1a</zoneName>");

        Map<String, String> before = storeFiles();
        String secret = c.alice.secretAccessKey();
        // another first character, always: "x" + the rest was the same secret whenever it began with x (1 run in 64)
        String other = (secret.charAt(0) == 'x' ? "y" : "x") + secret.substring(1);
        AccessKey wrongSecret = new AccessKey(c.alice.accessKeyId(), other, c.alice.account());
        SignedHttp.Answer bad = http.ec2(wrongSecret, "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=1");
        assertThat(bad.status()).isEqualTo(403);
        assertThat(code(bad)).isEqualTo("SignatureDoesNotMatch");
        AccessKey unknown = new AccessKey("AKIAUNKNOWNUNKNOWN00", c.alice.secretAccessKey(), c.alice.account());
        SignedHttp.Answer stranger = http.ec2(unknown, "Action=DescribeImages&Version=2016-11-15");
        assertThat(stranger.status()).isEqualTo(401);
        assertThat(code(stranger)).isEqualTo("AuthFailure");
        SignedHttp.Answer unsigned = http.get("/?Action=DescribeImages&Version=2016-11-15");
        assertThat(unsigned.status()).isEqualTo(401);
        assertThat(unsigned.body()).contains("<Code>AuthFailure</Code>", "no Authorization header");
        SignedHttp.Answer ebsBad = http.send(wrongSecret, "ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                "{\"VolumeSize\":1}".getBytes(StandardCharsets.UTF_8), false);
        assertThat(ebsBad.status()).isEqualTo(403);
        assertThat(ebsBad.header("x-amzn-ErrorType")).isEqualTo("InvalidSignatureException");
        SignedHttp.Answer wrongService = http.send(c.alice, "ebs", "POST", "/",
                Map.of("Content-Type", "application/x-www-form-urlencoded"),
                "Action=DescribeImages&Version=2016-11-15".getBytes(StandardCharsets.UTF_8), false);
        assertThat(code(wrongService)).isEqualTo("SignatureDoesNotMatch");
        assertThat(wrongService.body()).contains("Credential should be scoped to correct service: 'ec2'");
        assertThat(storeFiles()).isEqualTo(before);
    }

    @Test
    void aRequestSignedOutsideTheClockSkewIsExpired() {
        c.close();
        c = new TestCloud(dir.resolve("skewed"), Clock.offset(Clock.systemUTC(), Duration.ofMinutes(16)));
        http = new SignedHttp(c.endpoint());
        SignedHttp.Answer late = http.ec2(c.alice, "Action=DescribeRegions&Version=2016-11-15");
        assertThat(late.status()).isEqualTo(400);
        assertThat(code(late)).isEqualTo("RequestExpired");
        assertThat(late.body()).contains("Request has expired");
    }

    @Test
    void malformedQueriesUnknownActionsMalformedIdsAndDryRunGetEc2sErrors() throws Exception {
        Map<String, String> before = storeFiles();
        SignedHttp.Answer escape = http.get("/?Action=DescribeImages&Version=2016-11-15&ImageId.1=%zz");
        assertThat(escape.status()).isEqualTo(400);
        assertThat(escape.body()).contains("<Code>MalformedQueryString</Code>", "bad percent escape");
        SignedHttp.Answer formEscape = http.ec2(c.alice, "Action=DescribeImages&Version=2016-11-15&Owner.1=%E2%28");
        assertThat(code(formEscape)).isEqualTo("MalformedQueryString");
        assertThat(code(http.ec2(c.alice, "Action=LaunchRockets&Version=2016-11-15"))).isEqualTo("InvalidAction");
        assertThat(code(http.ec2(c.alice, "Version=2016-11-15"))).isEqualTo("MissingAction");
        assertThat(code(http.ec2(c.alice, "Action=DescribeImages&Version=2014-01-01"))).isEqualTo("NoSuchVersion");
        SignedHttp.Answer malformedId = http.ec2(c.alice, "Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-xyz");
        assertThat(malformedId.status()).isEqualTo(400);
        assertThat(code(malformedId)).isEqualTo("InvalidAMIID.Malformed");
        assertThat(code(http.ec2(c.alice, "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-nothex"))).isEqualTo(
                "InvalidInstanceID.Malformed");
        SignedHttp.Answer missing = http.ec2(c.alice, "Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-0123456789abcdef0");
        assertThat(code(missing)).isEqualTo("InvalidAMIID.NotFound");
        SignedHttp.Answer dryRun = http.ec2(c.alice, "Action=CreateVolume&Version=2016-11-15&Size=1"
                + "&AvailabilityZone=us-east-1a&DryRun=true");
        assertThat(dryRun.status()).isEqualTo(412);
        assertThat(code(dryRun)).isEqualTo("DryRunOperation");
        SignedHttp.Answer badZone = http.ec2(c.alice, "Action=CreateVolume&Version=2016-11-15&Size=1&AvailabilityZone=mars-1a");
        assertThat(code(badZone)).isEqualTo("InvalidParameterValue");
        assertThat(code(http.ec2(c.alice, "Action=RegisterImage&Version=2016-11-15"))).isEqualTo("MissingParameter");
        assertThat(code(http.ec2(c.alice, "Action=DescribeImages&Version=2016-11-15&NextToken=forged"))).isEqualTo(
                "InvalidPaginationToken");
        for (String body : List.of(escape.body(), dryRun.body(), malformedId.body())) {
            assertThat(body).startsWith("<?xml").contains("<RequestID>").doesNotContain("Exception", "\tat ");
        }
        assertThat(storeFiles()).isEqualTo(before);
    }

    @Test
    void ebsDirectRefusesBadJsonWrongBlocksAndChecksumsAndChangesNothing() throws Exception {
        SignedHttp.Answer notJson = http.send(c.alice, "ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                "{\"VolumeSize\": 1".getBytes(StandardCharsets.UTF_8), false);
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.header("x-amzn-ErrorType")).isEqualTo("SerializationException");
        SignedHttp.Answer badSize = http.send(c.alice, "ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                "{\"VolumeSize\": 0}".getBytes(StandardCharsets.UTF_8), false);
        assertThat(badSize.header("x-amzn-ErrorType")).isEqualTo("ValidationException");
        assertThat(badSize.body()).contains("\"Reason\":\"INVALID_VOLUME_SIZE\"");
        SignedHttp.Answer started = http.send(c.alice, "ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                "{\"VolumeSize\": 1}".getBytes(StandardCharsets.UTF_8), false);
        assertThat(started.status()).isEqualTo(201);
        String snapshot = started.body().replaceAll(".*\"SnapshotId\":\"(snap-[0-9a-f]+)\".*", "$1");
        SignedHttp.Answer described = http.ec2(c.alice, "Action=DescribeSnapshots&Version=2016-11-15&Filter.1.Name=status"
                + "&Filter.1.Value.1=pending");
        assertThat(described.body()).as("an upload in progress is a pending snapshot").contains("<snapshotId>" + snapshot
                + "</snapshotId>", "<status>pending</status>");
        assertThat(http.ec2(c.bob, "Action=DescribeSnapshots&Version=2016-11-15").body()).doesNotContain(snapshot);

        Map<String, String> before = storeFiles();
        byte[] block = new byte[512 * 1024];
        block[7] = 42;
        String checksum = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(block));
        byte[] small = new byte[4096];
        SignedHttp.Answer wrongLength = http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/0",
                Map.of("x-amz-Data-Length", "4096", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"), small, false);
        assertThat(wrongLength.status()).isEqualTo(400);
        assertThat(wrongLength.body()).contains("INVALID_BLOCK", "exactly 524288 bytes");
        byte[] tampered = block.clone();
        tampered[8] = 1;
        SignedHttp.Answer wrongChecksum = http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/0",
                Map.of("x-amz-Data-Length", "524288", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                tampered, false);
        assertThat(wrongChecksum.status()).isEqualTo(400);
        assertThat(wrongChecksum.body()).contains("is not the SHA-256 of the block's data");
        SignedHttp.Answer beyond = http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/2048",
                Map.of("x-amz-Data-Length", "524288", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                block, false);
        assertThat(beyond.body()).contains("INVALID_BLOCK", "beyond the volume's last block 2047");
        SignedHttp.Answer bobs = http.send(c.bob, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/0",
                Map.of("x-amz-Data-Length", "524288", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                block, false);
        assertThat(bobs.status()).as("another account's upload does not exist for it").isEqualTo(404);
        SignedHttp.Answer forgedToken = http.send(c.alice, "ebs", "GET", "/snapshots/" + snapshot + "/blocks/0?blockToken=AAAA",
                Map.of(), new byte[0], false);
        assertThat(forgedToken.body()).contains("INVALID_BLOCK_TOKEN");
        SignedHttp.Answer wrongCount = http.send(c.alice, "ebs", "POST", "/snapshots/completion/" + snapshot,
                Map.of("x-amz-ChangedBlocksCount", "3"), new byte[0], false);
        assertThat(wrongCount.status()).isEqualTo(400);
        SignedHttp.Answer oversized = http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/1",
                Map.of("x-amz-Data-Length", "524288", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                new byte[CloudServer.DEFAULT_MAX_BODY + 1], false);
        assertThat(oversized.status()).isEqualTo(413);
        SignedHttp.Answer unknown = http.send(c.alice, "ebs", "DELETE", "/snapshots/" + snapshot, Map.of(), new byte[0], false);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(storeFiles()).as("no refused request wrote anything").isEqualTo(before);

        SignedHttp.Answer put = http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/0",
                Map.of("x-amz-Data-Length", "524288", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                block, false);
        assertThat(put.status()).as(put.body()).isEqualTo(201);
        SignedHttp.Answer complete = http.send(c.alice, "ebs", "POST", "/snapshots/completion/" + snapshot,
                Map.of("x-amz-ChangedBlocksCount", "1"), new byte[0], false);
        assertThat(complete.status()).isEqualTo(202);
        assertThat(http.ec2(c.alice, "Action=DescribeSnapshots&Version=2016-11-15&SnapshotId.1=" + snapshot).body())
                .contains("<status>completed</status>");
        assertThat(c.cloud.store("us-east-1", TestCloud.ALICE).snapshot(snapshot).size()).isEqualTo(1L << 30);
        assertThat(http.send(c.alice, "ebs", "PUT", "/snapshots/" + snapshot + "/blocks/1",
                Map.of("x-amz-Data-Length", "524288", "x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                block, false).status()).as("a completed snapshot takes no more blocks").isEqualTo(404);
    }

    @Test
    void keysAreStoredEncryptedAndPrivate() throws IOException {
        String keysFile = Files.readString(dir.resolve("accounts/access-keys.json"));
        assertThat(keysFile).contains(c.alice.accessKeyId()).doesNotContain(c.alice.secretAccessKey(), c.bob.secretAccessKey());
        assertThat(Files.getPosixFilePermissions(dir.resolve("accounts/access-keys.json")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        assertThat(Files.getPosixFilePermissions(dir.resolve("accounts/key-encryption.key")).toString())
                .isEqualTo("[OWNER_READ, OWNER_WRITE]");
        assertThat(c.alice.toString()).doesNotContain(c.alice.secretAccessKey());
    }
}
