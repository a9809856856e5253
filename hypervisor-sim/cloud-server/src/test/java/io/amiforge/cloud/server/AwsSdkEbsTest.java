package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.cloud.server.auth.AccessKey;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ebs.EbsClient;
import software.amazon.awssdk.services.ebs.model.Block;
import software.amazon.awssdk.services.ebs.model.ChangedBlock;
import software.amazon.awssdk.services.ebs.model.ChecksumAggregationMethod;
import software.amazon.awssdk.services.ebs.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.ebs.model.GetSnapshotBlockResponse;
import software.amazon.awssdk.services.ebs.model.ListChangedBlocksResponse;
import software.amazon.awssdk.services.ebs.model.ListSnapshotBlocksResponse;
import software.amazon.awssdk.services.ebs.model.Status;
import software.amazon.awssdk.services.ebs.model.ValidationException;
import software.amazon.awssdk.services.ebs.model.ValidationExceptionReason;

/**
 * The AWS SDK for Java v2 EBS client (EBS direct), unmodified, configured only with the
 * endpoint and a key: a snapshot uploaded block by block with checksums and completed with the
 * aggregated checksum, its blocks listed and read back byte for byte, a child snapshot's
 * changed blocks listed, and a wrong checksum refused as the SDK's typed ValidationException.
 */
@Tag("interop")
class AwsSdkEbsTest {

    private static final int BLOCK = 512 * 1024;

    @TempDir
    Path dir;

    private static EbsClient client(TestCloud c, AccessKey key) {
        return EbsClient.builder().endpointOverride(URI.create(c.endpoint())).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(),
                        key.secretAccessKey())))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    private static byte[] sha256(byte[]... parts) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (byte[] part : parts) {
            digest.update(part);
        }
        return digest.digest();
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] block(long seed) {
        byte[] data = new byte[BLOCK];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static void put(EbsClient ebs, String snapshot, int index, byte[] data) throws Exception {
        String checksum = base64(sha256(data));
        ebs.putSnapshotBlock(r -> r.snapshotId(snapshot).blockIndex(index).dataLength(BLOCK).progress(50)
                .checksum(checksum).checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromBytes(data));
    }

    @Test
    void theSdkUploadsListsAndReadsBackASnapshot() throws Exception {
        try (TestCloud c = new TestCloud(dir); EbsClient ebs = client(c, c.alice)) {
            var started = ebs.startSnapshot(r -> r.volumeSize(1L).description("sdk upload").timeout(60));
            assertThat(started.status()).isEqualTo(Status.PENDING);
            assertThat(started.blockSize()).isEqualTo(BLOCK);
            String first = started.snapshotId();
            int[] indices = {0, 7, 2047};
            List<byte[]> data = new ArrayList<>();
            for (int i = 0; i < indices.length; i++) {
                data.add(block(indices[i]));
                put(ebs, first, indices[i], data.get(i));
            }
            byte[] aggregate = sha256(sha256(data.get(0)), sha256(data.get(1)), sha256(data.get(2)));
            var completed = ebs.completeSnapshot(r -> r.snapshotId(first).changedBlocksCount(indices.length)
                    .checksum(base64(aggregate)).checksumAlgorithm(ChecksumAlgorithm.SHA256)
                    .checksumAggregationMethod(ChecksumAggregationMethod.LINEAR));
            assertThat(completed.status()).isEqualTo(Status.COMPLETED);

            ListSnapshotBlocksResponse listed = ebs.listSnapshotBlocks(r -> r.snapshotId(first));
            assertThat(listed.blocks()).extracting(Block::blockIndex).containsExactly(0, 7, 2047);
            assertThat(listed.volumeSize()).isEqualTo(1L);
            assertThat(listed.blockSize()).isEqualTo(BLOCK);
            for (int i = 0; i < indices.length; i++) {
                Block b = listed.blocks().get(i);
                ResponseBytes<GetSnapshotBlockResponse> got = ebs.getSnapshotBlock(r -> r.snapshotId(first)
                        .blockIndex(b.blockIndex()).blockToken(b.blockToken()), ResponseTransformer.toBytes());
                assertThat(got.asByteArray()).as("block %d read back", b.blockIndex()).isEqualTo(data.get(i));
                assertThat(got.response().checksum()).isEqualTo(base64(sha256(data.get(i))));
                assertThat(got.response().dataLength()).isEqualTo(BLOCK);
            }

            String second = ebs.startSnapshot(r -> r.volumeSize(1L).parentSnapshotId(first)).snapshotId();
            byte[] changed = block(1000);
            put(ebs, second, 7, changed);
            put(ebs, second, 9, block(9));
            ebs.completeSnapshot(r -> r.snapshotId(second).changedBlocksCount(2));
            ListChangedBlocksResponse diff = ebs.listChangedBlocks(r -> r.firstSnapshotId(first).secondSnapshotId(second));
            assertThat(diff.changedBlocks()).extracting(ChangedBlock::blockIndex).containsExactly(7, 9);
            ChangedBlock seven = diff.changedBlocks().getFirst();
            assertThat(seven.firstBlockToken()).as("block 7 is in both snapshots").isNotNull();
            byte[] newer = ebs.getSnapshotBlock(r -> r.snapshotId(second).blockIndex(7).blockToken(seven.secondBlockToken()),
                    ResponseTransformer.toBytes()).asByteArray();
            assertThat(newer).isEqualTo(changed);
            byte[] older = ebs.getSnapshotBlock(r -> r.snapshotId(first).blockIndex(7).blockToken(seven.firstBlockToken()),
                    ResponseTransformer.toBytes()).asByteArray();
            assertThat(older).isEqualTo(data.get(1));
            assertThat(diff.changedBlocks().get(1).firstBlockToken()).as("block 9 is new in the second").isNull();
        }
    }

    @Test
    void aWrongChecksumIsTheSdksValidationException() throws Exception {
        try (TestCloud c = new TestCloud(dir); EbsClient ebs = client(c, c.alice)) {
            String snapshot = ebs.startSnapshot(r -> r.volumeSize(1L)).snapshotId();
            byte[] data = block(1);
            String wrong = base64(sha256(block(2)));
            assertThatThrownBy(() -> ebs.putSnapshotBlock(r -> r.snapshotId(snapshot).blockIndex(0).dataLength(BLOCK)
                    .checksum(wrong).checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromBytes(data)))
                    .isInstanceOfSatisfying(ValidationException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(400);
                        assertThat(e.reason()).isEqualTo(ValidationExceptionReason.INVALID_PARAMETER_VALUE);
                        assertThat(e.getMessage()).contains("is not the SHA-256 of the block's data");
                    });
            assertThat(ebs.completeSnapshot(r -> r.snapshotId(snapshot).changedBlocksCount(0)).status())
                    .as("the refused block was not stored").isEqualTo(Status.COMPLETED);
        }
    }
}
