package io.amiforge.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.store.objects.ObjectStoreException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** An endpoint where nothing listens: every operation ends in {@code ObjectStoreUnavailable} after the bounded retries. */
class S3ObjectStoreUnreachableTest {

    @Test
    @Timeout(60)
    void everyOperationReportsUnavailable(@TempDir Path tmp) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path file = Files.write(tmp.resolve("f"), new byte[6 << 20]);
        S3Config config = S3Config.defaults().withEndpoint("http://127.0.0.1:" + port).withKeys("a", "b")
                .withRetries(2, Duration.ofSeconds(2), Duration.ofSeconds(1));
        try (S3ObjectStore store = new S3ObjectStore(S3Location.parse("s3://nowhere/x"), config)) {
            unavailable(() -> store.get("k"), "get 'k'");
            unavailable(() -> store.head("k"), "head 'k'");
            unavailable(() -> store.put("k", new byte[1]), "put 'k'");
            unavailable(() -> store.putIfAbsent("k", new byte[1]), "putIfAbsent 'k'");
            unavailable(() -> store.read("k", 0, ByteBuffer.allocate(3 << 20)), "'k'");
            unavailable(() -> store.putFile("k", file, 0, 6 << 20), "putFile 'k'");
            unavailable(() -> store.putFile("k", file, 0, 100), "putFile 'k'");
            unavailable(() -> store.list("p/"), "list 'p/'");
            unavailable(() -> store.abortStaleUploads("p/", 0), "'p/'");
        }
    }

    private static void unavailable(Executable call, String what) {
        assertThatThrownBy(call::execute).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("s3://nowhere/x").hasMessageContaining(what)
                .satisfies(e -> assertThat(((ObjectStoreException) e).code()).isEqualTo("ObjectStoreUnavailable"));
    }
}
