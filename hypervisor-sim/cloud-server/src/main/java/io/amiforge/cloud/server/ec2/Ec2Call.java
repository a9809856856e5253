package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.server.auth.Caller;
import io.amiforge.cloud.server.ebs.EbsDirectApi;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.store.TenantStore;

/** One EC2 action being answered: who asks, in which region, with which parameters; {@code uploads} are EBS direct's. */
record Ec2Call(String action, Ec2Params params, Caller caller, Cloud cloud, EbsDirectApi uploads, String requestId) {

    String account() {
        return caller.account();
    }

    String region() {
        return caller.region();
    }

    TenantStore store() {
        return cloud.store(caller.region(), caller.account());
    }

    XmlWriter response() {
        return XmlWriter.response(action, requestId);
    }

    /** After the parameters are checked: with {@code DryRun=true}, answers DryRunOperation instead of acting. */
    void dryRunStop() {
        if (params.bool("DryRun", false)) {
            throw new ApiException(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
        }
    }

    /** {@code <return>true</return>}. */
    XmlWriter ok() {
        return response().element("return", true);
    }
}
