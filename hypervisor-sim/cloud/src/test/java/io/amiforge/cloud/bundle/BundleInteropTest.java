package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with an independent implementation of the format written here in shell with openssl,
 * GNU tar, gzip/pigz and split, from the format's description (ec2-ami-tools' bundle.rb pipeline:
 * tar -S | tee >(sha1) | gzip | openssl enc -aes-128-cbc; split; RSA with openssl pkeyutl).
 */
@Tag("interop")
class BundleInteropTest {

    @TempDir
    static Path keyDir;
    static BundleKeys keys;

    @BeforeAll
    static void keys() {
        for (String tool : List.of("openssl", "tar", "gzip", "split", "sha1sum", "perl", "od", "bash")) {
            Interop.tool(tool);
        }
        keys = BundleKeys.create(keyDir);
    }

    /** Shell: an ec2-bundle-image work-alike. Arguments: image dir, image name, out dir, part size. */
    private static final String SHELL_BUNDLER = """
            set -euo pipefail
            src=$1; name=$2; out=$3; partsize=$4; keys=$5
            hex() { od -An -v -tx1 | tr -d ' \\n'; }
            key=$(openssl rand -hex 16); iv=$(openssl rand -hex 16)
            mkdir -p "$out"
            # GNU tar with --sparse, as ec2-bundle-image runs it; digest of the tar stream via tee
            tar -c -S --owner=0 --group=0 -f - -C "$src" "$name" | tee "$out/stream.tar" \\
              | gzip -6 | openssl enc -e -aes-128-cbc -K "$key" -iv "$iv" > "$out/bundle.enc"
            digest=$(sha1sum < "$out/stream.tar" | cut -d' ' -f1); rm "$out/stream.tar"
            size=$(stat -c %s "$src/$name")
            bundled=$(stat -c %s "$out/bundle.enc")
            n=$(( (bundled + partsize - 1) / partsize )); digits=${#n}
            split -b "$partsize" -d -a "$digits" "$out/bundle.enc" "$out/$name.part."; rm "$out/bundle.enc"
            enc() { printf %s "$1" | openssl pkeyutl -encrypt -certin -inkey "$2" -pkeyopt rsa_padding_mode:pkcs1 | hex; }
            mc="<machine_configuration><architecture>x86_64</architecture><block_device_mapping><mapping><virtual>ami</virtual><device>sda1</device></mapping><mapping><virtual>root</virtual><device>/dev/sda1</device></mapping></block_device_mapping><kernel_id>aki-88aa75e1</kernel_id><ramdisk_id>ari-a51cf9cc</ramdisk_id></machine_configuration>"
            img="<image><name>$name</name><user>111122223333</user><type>machine</type><digest algorithm='SHA1'>$digest</digest><size>$size</size><bundled_size>$bundled</bundled_size>"
            img="$img<ec2_encrypted_key algorithm='AES-128-CBC'>$(enc "$key" "$keys/ec2.crt")</ec2_encrypted_key>"
            img="$img<user_encrypted_key algorithm='AES-128-CBC'>$(enc "$key" "$keys/user.crt")</user_encrypted_key>"
            img="$img<ec2_encrypted_iv>$(enc "$iv" "$keys/ec2.crt")</ec2_encrypted_iv><user_encrypted_iv>$(enc "$iv" "$keys/user.crt")</user_encrypted_iv>"
            img="$img<parts count='$n'>"
            i=0
            for f in $(cd "$out" && ls "$name".part.* | sort); do
              d=$(sha1sum < "$out/$f" | cut -d' ' -f1)
              img="$img<part index='$i'><filename>$f</filename><digest algorithm='SHA1'>$d</digest></part>"
              i=$((i + 1))
            done
            img="$img</parts></image>"
            sig=$(printf %s "$mc$img" | openssl dgst -sha1 -sign "$keys/user.key" | hex)
            printf %s "<?xml version='1.0'?><manifest><version>2007-10-10</version><bundler><name>shell</name><version>1</version><release>0</release></bundler>$mc$img<signature>$sig</signature></manifest>" > "$out/$name.manifest.xml"
            """;

    /** Shell: an ec2-unbundle work-alike that also checks the signature and the stream digest. */
    private static final String SHELL_UNBUNDLER = """
            set -euo pipefail
            manifest=$1; parts=$2; out=$3; keys=$4
            field() { sed -n "s:.*<$1[^>]*>\\([^<]*\\)</$1>.*:\\1:p" "$manifest"; }
            unhex() { perl -pe 's/([0-9a-f]{2})/chr hex $1/ge'; }
            dec() { printf %s "$1" | unhex | openssl pkeyutl -decrypt -inkey "$keys/user.key" -pkeyopt rsa_padding_mode:pkcs1; }
            key=$(dec "$(field user_encrypted_key)"); iv=$(dec "$(field user_encrypted_iv)")
            # signature over the exact machine_configuration + image text
            grep -o '<machine_configuration>.*</image>' "$manifest" | tr -d '\\n' > "$out/signed.txt"
            field signature | unhex > "$out/sig.bin"
            openssl x509 -pubkey -noout -in "$keys/user.crt" > "$out/pub.pem"
            openssl dgst -sha1 -verify "$out/pub.pem" -signature "$out/sig.bin" "$out/signed.txt"
            files=$(grep -o '<filename>[^<]*</filename>' "$manifest" | sed 's:</*filename>::g')
            for f in $files; do
              want=$(echo "$(grep -o "<filename>$f</filename><digest algorithm='SHA1'>[0-9a-f]*" "$manifest" | sed 's:.*>::')")
              have=$(sha1sum < "$parts/$f" | cut -d' ' -f1)
              [ "$want" = "$have" ] || { echo "part $f digest mismatch"; exit 1; }
            done
            (cd "$parts" && cat $files) | openssl enc -d -aes-128-cbc -K "$key" -iv "$iv" > "$out/image.tar.gz"
            want=$(grep -o "</type><digest algorithm='SHA1'>[0-9a-f]*" "$manifest" | sed 's:.*>::')
            test "$(gzip -dc "$out/image.tar.gz" | sha1sum | cut -d' ' -f1)" = "$want"
            mkdir -p "$out/x"; tar -xzf "$out/image.tar.gz" -C "$out/x"
            echo OK
            """;

    @Test
    void shellBundleIsRestoredByUnbundler(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path image = src.resolve("linux.img");
        // a sparse image: GNU tar -S writes a sparse entry, which the unbundler must expand
        try (var raf = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(24L << 20);
            raf.seek(0);
            raf.write(TestImages.semiCompressible(700_000, 11));
            raf.seek(13L << 20);
            raf.write(TestImages.semiCompressible(300_000, 12));
        }
        Files.writeString(dir.resolve("bundler.sh"), SHELL_BUNDLER);
        Processes.run(dir, List.of("bash", "bundler.sh", src.toString(), "linux.img", dir.resolve("bundle").toString(),
                "262144", keyDir.toString())).orFail();
        Path manifest = dir.resolve("bundle/linux.img.manifest.xml");

        BundleManifest m = BundleManifest.read(manifest);
        assertThat(m.machine().kernelId()).isEqualTo("aki-88aa75e1");
        assertThat(m.machine().ramdiskId()).isEqualTo("ari-a51cf9cc");
        assertThat(m.machine().blockDeviceMapping()).containsEntry("root", "/dev/sda1").containsEntry("ami", "sda1");
        assertThat(m.image().parts()).hasSizeGreaterThan(1);
        assertThat(m.verifySignature(keys.userCertificate().getPublicKey())).isTrue();

        Unbundler.Result r = Unbundler.withPrivateKeyFile(keys.userKeyPkcs1()).unbundle(manifest,
                dir.resolve("bundle"), dir.resolve("restored"));
        assertThat(r.imageFile().getFileName().toString()).isEqualTo("linux.img");
        assertThat(Files.mismatch(image, r.imageFile())).isEqualTo(-1L);
    }

    @Test
    void ourBundleIsRestoredAndVerifiedByShell(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("root.img");
        TestImages.writeSemiCompressible(image, 2_500_000, 5);
        MachineConfiguration machine = new MachineConfiguration("x86_64",
                new TreeMap<>(Map.of("ami", "sda1", "root", "/dev/sda1")), "aki-1", "ari-2", List.of());
        Bundler.Result b = keys.bundler().withPartSize(256 * 1024).bundle(image, dir.resolve("bundle"), null,
                "111122223333", machine);
        Files.writeString(dir.resolve("unbundler.sh"), SHELL_UNBUNDLER);
        Files.createDirectories(dir.resolve("work"));
        String out = Processes.run(dir, List.of("bash", "unbundler.sh", b.manifestFile().toString(),
                dir.resolve("bundle").toString(), dir.resolve("work").toString(), keyDir.toString())).orFail().output();
        assertThat(out).contains("Verified OK").contains("OK");
        assertThat(Files.mismatch(image, dir.resolve("work/x/root.img"))).isEqualTo(-1L);
    }
}
