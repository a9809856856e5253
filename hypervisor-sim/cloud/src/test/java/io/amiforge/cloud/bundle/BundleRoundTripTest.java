package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("interop") // keys come from openssl
class BundleRoundTripTest {

    @TempDir
    static Path keyDir;
    static BundleKeys keys;

    @BeforeAll
    static void keys() {
        keys = BundleKeys.create(keyDir);
    }

    @Test
    void smallImageManyPartsRestoresByteForByte(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("disk.img");
        TestImages.writeSemiCompressible(image, 3_000_000, 7);
        MachineConfiguration machine = new MachineConfiguration("x86_64",
                new java.util.TreeMap<>(Map.of("root", "/dev/sda1", "ami", "sda1", "ephemeral0", "sdb")),
                "aki-12345678", "ari-87654321", List.of());
        Bundler.Result r = keys.bundler().withPartSize(64 * 1024).bundle(image, dir.resolve("out"), null,
                "111122223333", machine);

        int count = r.partFiles().size();
        assertThat(count).isGreaterThan(10);
        int digits = Integer.toString(count).length();
        assertThat(r.partFiles().getFirst().getFileName().toString()).isEqualTo("disk.img.part." + "0".repeat(digits));
        try (Stream<Path> files = Files.list(dir.resolve("out"))) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> !n.startsWith("."))
                    .hasSize(count + 1);
        }
        long total = 0;
        for (Path p : r.partFiles()) {
            total += Files.size(p);
        }
        assertThat(r.manifest().image().bundledSize()).isEqualTo(total);
        assertThat(r.manifest().image().size()).isEqualTo(3_000_000);

        Unbundler.Result u = Unbundler.withPrivateKeyFile(keys.userKey()).unbundle(r.manifestFile(), dir.resolve("out"),
                dir.resolve("restored"));
        assertThat(u.imageFile()).isEqualTo(dir.resolve("restored/disk.img"));
        assertThat(Files.mismatch(image, u.imageFile())).isEqualTo(-1L);
        try (Stream<Path> files = Files.list(dir.resolve("restored"))) {
            assertThat(files).hasSize(1);
        }
    }

    @Test
    void manifestHasTheEc2AmiToolsShape(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("img");
        Files.write(image, TestImages.semiCompressible(100_000, 1));
        MachineConfiguration machine = new MachineConfiguration("i386",
                new java.util.TreeMap<>(Map.of("root", "/dev/sda1", "ami", "sda1")), "aki-00000001", null, List.of());
        Bundler.Result r = keys.bundler().bundle(image, dir, "my-ami", "123456789012", machine);
        String xml = Files.readString(r.manifestFile(), StandardCharsets.ISO_8859_1);
        assertThat(xml).startsWith("<?xml version='1.0'?><manifest><version>2007-10-10</version><bundler><name>"
                + "amiforge</name><version>0.1.0</version><release>1</release></bundler><machine_configuration>"
                + "<architecture>i386</architecture><block_device_mapping><mapping><virtual>ami</virtual><device>sda1"
                + "</device></mapping><mapping><virtual>root</virtual><device>/dev/sda1</device></mapping>"
                + "</block_device_mapping><kernel_id>aki-00000001</kernel_id></machine_configuration><image><name>"
                + "my-ami</name><user>123456789012</user><type>machine</type><digest algorithm='SHA1'>");
        assertThat(xml).matches(".*</digest><size>100000</size><bundled_size>\\d+</bundled_size>"
                + "<ec2_encrypted_key algorithm='AES-128-CBC'>[0-9a-f]{512}</ec2_encrypted_key>"
                + "<user_encrypted_key algorithm='AES-128-CBC'>[0-9a-f]{512}</user_encrypted_key>"
                + "<ec2_encrypted_iv>[0-9a-f]{512}</ec2_encrypted_iv><user_encrypted_iv>[0-9a-f]{512}"
                + "</user_encrypted_iv><parts count='1'><part index='0'><filename>my-ami.part.0</filename>"
                + "<digest algorithm='SHA1'>[0-9a-f]{40}</digest></part></parts></image>"
                + "<signature>[0-9a-f]{512}</signature></manifest>");
        assertThat(xml).doesNotContain("\n");
        BundleManifest m = BundleManifest.read(r.manifestFile());
        assertThat(m).isEqualTo(r.manifest());
        assertThat(m.verifySignature(keys.userCertificate().getPublicKey())).isTrue();
        assertThat(m.machine().kernelId()).isEqualTo("aki-00000001");
        assertThat(m.machine().ramdiskId()).isNull();
    }

    @Test
    void pkcs1AndPkcs8KeysAreTheSameKey() {
        assertThat(PemKeys.readPrivateKey(keys.userKeyPkcs1())).isEqualTo(PemKeys.readPrivateKey(keys.userKey()));
    }

    @Test
    void sparseImageOfHundredsOfMibRestoresExactly(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("sparse.img");
        long size = 384L << 20;
        try (FileBlockDevice dev = FileBlockDevice.create(image, size); Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1 << 20);
            seg.copyFrom(MemorySegment.ofArray(TestImages.semiCompressible(1 << 20, 99)));
            dev.write(0, seg);
            dev.write(200L << 20, seg);
            dev.write(size - (1 << 20), seg);
            dev.flush();
        }
        Bundler.Result r = keys.bundler().withLevel(1).bundle(image, dir.resolve("b"), null, "111122223333",
                MachineConfiguration.of("x86_64"));
        Unbundler.Result u = Unbundler.withPrivateKey(keys.userPrivate()).unbundle(r.manifestFile(),
                dir.resolve("b"), dir.resolve("r"));
        assertThat(u.size()).isEqualTo(size);
        assertThat(TestImages.sha1(u.imageFile())).isEqualTo(TestImages.sha1(image));
        // restored sparsely: far fewer blocks allocated than the size
        String blocks = io.amiforge.testkit.Processes.run(List.of("stat", "-c", "%b",
                u.imageFile().toString())).orFail().output().strip();
        assertThat(Long.parseLong(blocks) * 512).isLessThan(size / 4);
    }

    @Test
    void ec2SideUnbundlesWithEc2KeyAndOwnersCertificate(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("img");
        Files.write(image, TestImages.semiCompressible(500_000, 3));
        Bundler.Result r = keys.bundler().bundle(image, dir, null, "111122223333", MachineConfiguration.of("x86_64"));
        Unbundler.Result u = Unbundler.withPrivateKey(keys.ec2Private()).asEc2().withSigner(keys.userCertificate())
                .unbundle(r.manifestFile(), dir, dir.resolve("launch"));
        assertThat(Files.mismatch(image, u.imageFile())).isEqualTo(-1L);
    }
}
