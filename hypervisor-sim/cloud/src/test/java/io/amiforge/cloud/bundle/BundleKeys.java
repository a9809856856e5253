package io.amiforge.cloud.bundle;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A user key pair and an EC2 key pair made with {@code openssl req -x509 -newkey rsa:2048 -nodes}. */
record BundleKeys(Path dir, Path userCert, Path userKey, Path userKeyPkcs1, Path ec2Cert, Path ec2Key) {

    static BundleKeys create(Path dir) {
        String openssl = Interop.tool("openssl").toString();
        for (String who : List.of("user", "ec2")) {
            Processes.run(dir, List.of(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    who + ".key", "-out", who + ".crt", "-subj", "/CN=amiforge-test-" + who, "-days", "2")).orFail();
        }
        Processes.run(dir, List.of(openssl, "rsa", "-in", "user.key", "-traditional", "-out", "user-pkcs1.key"))
                .orFail();
        return new BundleKeys(dir, dir.resolve("user.crt"), dir.resolve("user.key"), dir.resolve("user-pkcs1.key"),
                dir.resolve("ec2.crt"), dir.resolve("ec2.key"));
    }

    Bundler bundler() {
        return Bundler.withKeyFiles(userCert, userKey, ec2Cert).withThreads(2).withDurable(false);
    }

    PrivateKey userPrivate() {
        return PemKeys.readPrivateKey(userKey);
    }

    PrivateKey ec2Private() {
        return PemKeys.readPrivateKey(ec2Key);
    }

    X509Certificate userCertificate() {
        return PemKeys.readCertificate(userCert);
    }
}
