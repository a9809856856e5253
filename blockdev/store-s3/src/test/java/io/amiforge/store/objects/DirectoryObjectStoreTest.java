package io.amiforge.store.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DirectoryObjectStore} keeps the contract; {@link ObjectStores} opens it from a {@code file:///} URL. */
class DirectoryObjectStoreTest extends ObjectStoreContract {

    @TempDir
    Path dir;

    private ObjectStore store;

    @Override
    protected synchronized ObjectStore store() { // the contract calls it from several threads at once
        if (store == null) {
            store = new DirectoryObjectStore(dir.resolve("bucket"));
        }
        return store;
    }

    @Override
    protected int multipartLength() {
        return 3 << 20;
    }

    @Test
    void anInterruptedUploadShowsNothingAndIsAbortedWhenStale() throws Exception {
        ObjectStore store = ObjectStores.open(dir.resolve("b2").toUri().toString(), Map.of());
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> store.putFile("layers/x", missing, 0, 10)).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("layers/x");
        assertThat(store.head("layers/x")).isNull();
        Files.writeString(dir.resolve("b2/uploads/left.part"), "half");
        assertThat(store.abortStaleUploads("layers/", 60_000)).isZero();
        Files.setLastModifiedTime(dir.resolve("b2/uploads/left.part"),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 120_000));
        assertThat(store.abortStaleUploads("layers/", 60_000)).isEqualTo(1);
        assertThatThrownBy(() -> store.get("../escape")).isInstanceOf(ObjectStoreException.class).hasMessageContaining("../escape");
    }

    @Test
    void unknownSchemesAreRefusedByName() {
        assertThatThrownBy(() -> ObjectStores.open("gopher://x/y", Map.of())).hasMessageContaining("gopher://");
        assertThat(ObjectStores.isUrl("s3://bucket/p")).isTrue();
        assertThat(ObjectStores.isUrl("/srv/store")).isFalse();
    }
}
