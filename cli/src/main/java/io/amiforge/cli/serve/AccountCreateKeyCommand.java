package io.amiforge.cli.serve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cloud.server.auth.AccessKey;
import io.amiforge.cloud.server.auth.AccessKeys;
import picocli.CommandLine.Command;

/**
 * {@code amiforge account create-key [--account ID]}: creates an API key for the account and
 * prints its id and secret, once (the store keeps the secret encrypted). JSON as IAM's
 * CreateAccessKey answers: {@code {"AccessKey": {"AccessKeyId", "SecretAccessKey", ...}}}.
 */
@Command(name = "create-key", mixinStandardHelpOptions = true,
        description = {"Create an API key (access key id and secret) for the account (--account).",
            "Example: amiforge account create-key --account 444455556666"})
public final class AccountCreateKeyCommand extends CommandBase {

    @Override
    protected int execute() {
        AccessKey key = AccessKeys.of(global().store()).create(global().account());
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        ObjectNode inner = json.putObject("AccessKey");
        inner.put("AccountId", key.account());
        inner.put("AccessKeyId", key.accessKeyId());
        inner.put("Status", "Active");
        inner.put("SecretAccessKey", key.secretAccessKey());
        print(json, "AccessKeyId     " + key.accessKeyId() + "\nSecretAccessKey " + key.secretAccessKey()
                + "\nAccount         " + key.account() + "\n(the secret is shown only now)");
        return 0;
    }
}
