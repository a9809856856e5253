package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.SimulatorBooter;
import io.amiforge.cloud.server.auth.AccessKey;
import io.amiforge.cloud.server.auth.AccessKeys;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A cloud over a temporary store served on a free port, with one key for each of two accounts,
 * and the Debian AWS CLI ({@code /usr/bin/aws}, never a shim on the PATH) configured only with
 * the endpoint URL and a key.
 */
final class TestCloud implements AutoCloseable {

    static final String ALICE = "111122223333";
    static final String BOB = "444455556666";
    static final Path AWS = Path.of("/usr/bin/aws");
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path root;
    final Cloud cloud;
    final CloudServer server;
    final int port;
    final AccessKey alice;
    final AccessKey bob;

    TestCloud(Path root) {
        this(root, Clock.systemUTC());
    }

    TestCloud(Path root, Clock serverClock) {
        this.root = root;
        this.cloud = Cloud.open(root, new SimulatorBooter(50_000_000L));
        AccessKeys keys = AccessKeys.of(root);
        this.alice = keys.create(ALICE);
        this.bob = keys.create(BOB);
        this.server = CloudServer.builder(cloud).listen("127.0.0.1", 0).clock(serverClock).build();
        this.port = server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Runs {@code aws ARGS --endpoint-url ... --region REGION --output json} as {@code key}. */
    Processes.Result aws(AccessKey key, String region, String... args) {
        Interop.file(AWS, "Debian's AWS CLI (package awscli)");
        List<String> command = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin", "HOME=" + root.resolve("home"),
                "AWS_ACCESS_KEY_ID=" + key.accessKeyId(), "AWS_SECRET_ACCESS_KEY=" + key.secretAccessKey(),
                "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", AWS.toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--endpoint-url", endpoint(), "--region", region, "--output", "json"));
        return Processes.command(command).run();
    }

    /** The JSON an {@code aws} run printed (an empty object for none), after checking it succeeded. */
    static JsonNode ok(Processes.Result result) throws IOException {
        assertThat(result.exitCode()).as("aws failed: %s", result.output()).isZero();
        String out = result.stdoutText().strip();
        return out.isEmpty() ? JSON.createObjectNode() : JSON.readTree(out);
    }

    @Override
    public void close() {
        server.close();
        cloud.close();
    }
}
