package io.amiforge.cli.serve;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code amiforge account} group: API keys and bundle signing certificates of the accounts. */
@Command(name = "account", description = "Accounts: their API keys and bundle signing certificates.", mixinStandardHelpOptions = true,
        subcommands = {AccountCreateKeyCommand.class, AccountImportCertificateCommand.class})
public final class AccountCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand (create-key, import-certificate)");
    }
}
