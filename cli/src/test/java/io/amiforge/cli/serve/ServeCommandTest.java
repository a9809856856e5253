package io.amiforge.cli.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.CliRunner;
import io.amiforge.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code amiforge account create-key} prints a key once and keeps it encrypted; {@code amiforge serve} answers on its port. */
class ServeCommandTest {

    @TempDir
    Path dir;

    @Test
    void createKeyPrintsTheSecretOnceAndServeAnswersUnsignedRequestsWithAuthFailure() throws Exception {
        CliRunner.Run created = CliRunner.run("--store", dir.toString(), "--account", "444455556666", "account", "create-key",
                "--json");
        assertThat(created.exitCode()).as(created.err()).isZero();
        JsonNode key = new ObjectMapper().readTree(created.out()).get("AccessKey");
        assertThat(key.get("AccessKeyId").asText()).matches("AKIA[A-Z2-7]{16}");
        assertThat(key.get("SecretAccessKey").asText()).hasSize(40);
        assertThat(key.get("AccountId").asText()).isEqualTo("444455556666");
        assertThat(Files.readString(dir.resolve("accounts/access-keys.json"))).contains(key.get("AccessKeyId").asText())
                .doesNotContain(key.get("SecretAccessKey").asText());
        CliRunner.Run bad = CliRunner.run("--store", dir.toString(), "--account", "12", "account", "create-key");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("not 12 digits");
        Path signing = io.amiforge.cloud.Ec2Credentials.loadOrCreate(dir.resolve("signing"), "alice").certificateFile();
        CliRunner.Run certified = CliRunner.run("--store", dir.toString(), "--account", "444455556666", "account",
                "import-certificate", signing.toString());
        assertThat(certified.exitCode()).as(certified.err()).isZero();
        assertThat(dir.resolve("accounts/certificates/444455556666.pem")).exists();
        CliRunner.Run notACertificate = CliRunner.run("--store", dir.toString(), "--account", "444455556666", "account",
                "import-certificate", dir.resolve("accounts/access-keys.json").toString());
        assertThat(notACertificate.exitCode()).isNotZero();
        assertThat(notACertificate.err()).contains("access-keys.json", "not an X.509 certificate").doesNotContain("Exception");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(new PrintWriter(out, true),
                new PrintWriter(err, true), "--store", dir.toString(), "serve", "--json", "--listen", "127.0.0.1:0"));
        JsonNode printed = null;
        for (int i = 0; i < 300 && printed == null; i++) { // bounded: 30 s
            if (out.toString().contains("}")) {
                printed = new ObjectMapper().readTree(out.toString());
            } else {
                assertThat(serving.isDone()).as("serve ended early: " + err).isFalse();
                Thread.sleep(100);
            }
        }
        assertThat(printed).as("printed the endpoint").isNotNull();
        URL url = URI.create(printed.get("Endpoint").asText() + "/?Action=DescribeRegions&Version=2016-11-15").toURL();
        java.net.HttpURLConnection connection = (java.net.HttpURLConnection) url.openConnection();
        assertThat(connection.getResponseCode()).isEqualTo(401);
        connection.disconnect();
        ServeCommand.requestStop();
        assertThat(serving.get(30, TimeUnit.SECONDS)).isZero();
    }
}
