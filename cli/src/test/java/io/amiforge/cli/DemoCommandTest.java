package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cli.common.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job: the demo runs end to end on a fresh store, and refuses a store that is not fresh. */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void theDemoWalksTheWholeStory() throws Exception {
        Path store = dir.resolve("store");
        CliRunner.Run run = CliRunner.run("demo", "--store", store.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode summary = Json.MAPPER.readTree(run.out());
        assertThat(summary.get("amis")).hasSize(2);
        assertThat(summary.get("createdImage").get("changedBlocks")).isNotEmpty();
        assertThat(summary.get("copies").get(1).get("blocksAlreadyPresent").asLong()).isPositive();
        assertThat(summary.get("boots").toString()).contains("halted", "kernel-handoff").doesNotContain("failed");
        assertThat(summary.get("verify-us-east-1").asText()).isEqualTo("clean");
        assertThat(run.err()).contains("[11/11]", "UnsupportedOperation", "InvalidSnapshot.InUse");

        CliRunner.Run again = CliRunner.run("demo", "--store", store.toString());
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).contains("is not empty");
        assertThat(Files.exists(store.resolve("regions"))).isTrue();
    }
}
