package io.amiforge.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

class InteropTest {

    private static final String ABSENT = "amiforge-no-such-tool-7f3a";

    @Test
    void presentPrerequisiteNeitherSkipsNorFails() {
        assertThatCode(() -> Interop.unless(true, "fine", true)).doesNotThrowAnyException();
        assertThatCode(() -> Interop.unless(true, "fine", false)).doesNotThrowAnyException();
        assertThat(Interop.tool("sh")).isExecutable();
    }

    @Test
    void missingPrerequisiteSkipsWithTheReason() {
        assertThatThrownBy(() -> Interop.unless(false, "tool 'x' is not installed", false))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("tool 'x' is not installed");
    }

    @Test
    void missingPrerequisiteFailsWhenRequired() {
        assertThatThrownBy(() -> Interop.unless(false, "tool 'x' is not installed", true))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("AMIFORGE_REQUIRE_INTEROP=1").hasMessageContaining("tool 'x' is not installed");
    }

    @Test
    void missingToolIsNamed() {
        assertThat(Interop.findTool(ABSENT)).isEmpty();
        // whichever way this build runs (CI sets AMIFORGE_REQUIRE_INTEROP=1), the message names the tool
        Class<? extends Throwable> expected = Interop.required() ? AssertionError.class : TestAbortedException.class;
        assertThatThrownBy(() -> Interop.tool(ABSENT)).isInstanceOf(expected).hasMessageContaining("'" + ABSENT + "'");
    }

    @Test
    void pinnedFixtureIsReturnedOnlyWithItsPinnedHash(@TempDir Path dir) throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Files.writeString(cache.resolve("k.deb"), "kernel bytes");
        String pinned = PinnedFixtures.sha256(cache.resolve("k.deb"));
        Path pins = dir.resolve("fixtures.properties");
        Files.writeString(pins, """
                fixtures=k,gone
                k.file=k.deb
                k.sha256=%s
                gone.file=gone.deb
                gone.sha256=00
                """.formatted(pinned.toUpperCase()));
        PinnedFixtures fixtures = PinnedFixtures.load(pins);
        assertThat(fixtures.verified("k", cache, true)).isEqualTo(cache.resolve("k.deb"));

        assertThatThrownBy(() -> fixtures.verified("gone", cache, true)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("fixture gone not found at " + cache.resolve("gone.deb"))
                .hasMessageContaining("dev/fetch-fixtures");
        assertThatThrownBy(() -> fixtures.verified("gone", cache, false)).isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("fixture gone not found");

        Files.writeString(cache.resolve("k.deb"), "kernel bytes, tampered");
        assertThatThrownBy(() -> fixtures.verified("k", cache, true)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("has SHA-256 " + PinnedFixtures.sha256(cache.resolve("k.deb")))
                .hasMessageContaining("pins " + pinned);
        assertThatThrownBy(() -> fixtures.verified("nothing", cache, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pins no nothing.file");
    }

    @Test
    void sha256IsTheStandardDigest(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("abc");
        Files.writeString(f, "abc");
        assertThat(PinnedFixtures.sha256(f)).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void theRepositoryPinFileNamesEveryFixtureCompletely() {
        PinnedFixtures pins = PinnedFixtures.load(PinnedFixtures.pinFile());
        assertThat(pins.names()).isNotEmpty();
        for (String name : pins.names()) {
            assertThat(pins.pin(name, "sha256")).as(name).matches("[0-9a-f]{64}");
            assertThat(pins.pin(name, "file")).as(name).doesNotContain("/");
            assertThat(pins.pin(name, "package")).as(name).isNotBlank();
            assertThat(pins.pin(name, "version")).as(name).isNotBlank();
            assertThat(pins.pin(name, "url")).as(name).endsWith(pins.pin(name, "file"));
        }
    }
}
