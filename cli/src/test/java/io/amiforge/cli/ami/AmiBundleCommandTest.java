package io.amiforge.cli.ami;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The two commands end to end, through the real command line. */
@Tag("interop") // keys come from openssl
class AmiBundleCommandTest {

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static void openssl(Path dir, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(args));
        command.set(0, Interop.tool("openssl").toString());
        Processes.run(dir, command).orFail();
    }

    @Test
    void bundleThenUnbundleAndTheErrorsExitCodes(@TempDir Path dir) throws Exception {
        for (String who : List.of("user", "ec2")) {
            openssl(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", who + ".key", "-out",
                    who + ".crt", "-subj", "/CN=" + who, "-days", "2");
        }
        byte[] data = new byte[3_000_000];
        new Random(1).nextBytes(data);
        java.util.Arrays.fill(data, 1_000_000, 2_000_000, (byte) 0);
        Path image = dir.resolve("disk.img");
        Files.write(image, data);

        Run bundle = run("ami", "bundle", image.toString(), "-d", dir.resolve("b").toString(), "--user",
                "111122223333", "--cert", dir.resolve("user.crt").toString(), "--privatekey",
                dir.resolve("user.key").toString(), "--ec2cert", dir.resolve("ec2.crt").toString(), "--prefix", "web",
                "--kernel-id", "aki-1a2b3c4d", "--block-device-mapping", "ami=sda1,root=/dev/sda1", "--json");
        assertThat(bundle.exit()).as(bundle.err()).isZero();
        assertThat(bundle.out()).contains("\"manifest\"", "web.manifest.xml", "\"imageSize\" : 3000000");
        assertThat(Files.readString(dir.resolve("b/web.manifest.xml"))).contains("<kernel_id>aki-1a2b3c4d</kernel_id>",
                "<mapping><virtual>ami</virtual><device>sda1</device></mapping>");

        Run unbundle = run("ami", "unbundle", "-m", dir.resolve("b/web.manifest.xml").toString(), "-d",
                dir.resolve("r").toString(), "--privatekey", dir.resolve("user.key").toString());
        assertThat(unbundle.exit()).as(unbundle.err()).isZero();
        assertThat(unbundle.out()).contains("Verified signature");
        assertThat(Files.mismatch(image, dir.resolve("r/web"))).isEqualTo(-1L);

        byte[] part = Files.readAllBytes(dir.resolve("b/web.part.0"));
        part[100] ^= 0x40;
        Files.write(dir.resolve("b/web.part.0"), part);
        Run tampered = run("ami", "unbundle", "-m", dir.resolve("b/web.manifest.xml").toString(), "-d",
                dir.resolve("r2").toString(), "--privatekey", dir.resolve("user.key").toString());
        assertThat(tampered.exit()).isEqualTo(3);
        assertThat(tampered.err()).contains("InvalidBundlePart", "part 0 (web.part.0,");
        assertThat(dir.resolve("r2/web")).doesNotExist();

        Run missing = run("ami", "bundle", dir.resolve("nope.img").toString(), "-d", dir.toString(), "--user", "1",
                "--cert", dir.resolve("user.crt").toString(), "--privatekey", dir.resolve("user.key").toString(),
                "--ec2cert", dir.resolve("ec2.crt").toString());
        assertThat(missing.exit()).isEqualTo(4);

        Run badArch = run("ami", "bundle", image.toString(), "-d", dir.toString(), "--user", "1", "--cert",
                dir.resolve("user.crt").toString(), "--privatekey", dir.resolve("user.key").toString(), "--ec2cert",
                dir.resolve("ec2.crt").toString(), "--arch", "sparc");
        assertThat(badArch.exit()).isEqualTo(2);
        assertThat(badArch.err()).contains("sparc");

        // -f names the format (nothing is probed): only raw bytes are bundled.
        Run qcow2 = run("ami", "bundle", image.toString(), "-f", "qcow2", "-d", dir.resolve("q").toString(), "--user", "1",
                "--cert", dir.resolve("user.crt").toString(), "--privatekey", dir.resolve("user.key").toString(),
                "--ec2cert", dir.resolve("ec2.crt").toString());
        assertThat(qcow2.exit()).isEqualTo(2);
        assertThat(qcow2.err()).contains("bundles the bytes of a raw image", "image convert");
        assertThat(dir.resolve("q")).doesNotExist();
    }
}
