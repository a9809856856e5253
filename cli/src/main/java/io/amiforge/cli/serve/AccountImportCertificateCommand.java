package io.amiforge.cli.serve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cloud.server.auth.SigningCertificates;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge account import-certificate FILE [--account ID]}: installs the X.509 certificate
 * the account signs its bundles with, which RegisterImage with an ImageLocation checks the
 * manifest's signature against. JSON: {@code {"AccountId", "Subject", "NotAfter", "Path"}}.
 */
@Command(name = "import-certificate", mixinStandardHelpOptions = true,
        description = {"Install the X.509 certificate (PEM or DER) that the account (--account) signs its bundles with; "
                + "RegisterImage --image-location checks bundle manifests against it. Replaces the previous one.",
            "Example: amiforge account import-certificate cert-alice.pem --account 444455556666"})
public final class AccountImportCertificateCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "FILE",
            description = {"The certificate file: one X.509 certificate, PEM or DER (never a private key).",
                "Example: cert-alice.pem"})
    Path file;

    @Override
    protected int execute() {
        SigningCertificates certificates = SigningCertificates.of(global().store());
        String account = global().account();
        X509Certificate certificate = certificates.install(account, file);
        Path installed = certificates.find(account).orElseThrow();
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("AccountId", account);
        json.put("Subject", certificate.getSubjectX500Principal().getName());
        json.put("NotAfter", certificate.getNotAfter().toInstant().toString());
        json.put("Path", installed.toString());
        print(json, "installed the signing certificate of account " + account + " (" + certificate.getSubjectX500Principal().getName()
                + ", valid until " + certificate.getNotAfter().toInstant() + ") as " + installed);
        return 0;
    }
}
