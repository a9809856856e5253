package io.amiforge.cloud.server.ec2;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.server.auth.Caller;
import io.amiforge.cloud.server.ebs.EbsDirectApi;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.server.http.ApiRequest;
import io.amiforge.cloud.server.http.ApiResponse;
import io.amiforge.cloud.server.http.FormDecoder;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The EC2 Query API ({@code Action=...&Version=2016-11-15}, GET query or POST form): finds the
 * action, checks the version and answers with an XML document in the 2016-11-15 namespace.
 * Every action acts as the signing key's account in its credential scope's region, through
 * {@link Cloud}'s public API, so the store's ownership rules apply unchanged. Actions EC2 has
 * but this endpoint does not implement answer {@code UnsupportedOperation}; names EC2 does not
 * have, {@code InvalidAction}.
 */
public final class Ec2QueryApi {

    /** The API version this endpoint speaks. */
    public static final String VERSION = "2016-11-15";

    private static final Map<String, Function<Ec2Call, XmlWriter>> ACTIONS = new TreeMap<>(Map.ofEntries(
            Map.entry("DescribeRegions", RegionActions::describeRegions),
            Map.entry("DescribeAvailabilityZones", RegionActions::describeAvailabilityZones),
            Map.entry("DescribeImages", ImageActions::describeImages),
            Map.entry("RegisterImage", ImageActions::registerImage),
            Map.entry("DeregisterImage", ImageActions::deregisterImage),
            Map.entry("CopyImage", ImageActions::copyImage),
            Map.entry("CreateImage", ImageActions::createImage),
            Map.entry("DescribeImageAttribute", ImageActions::describeImageAttribute),
            Map.entry("ModifyImageAttribute", ImageActions::modifyImageAttribute),
            Map.entry("ResetImageAttribute", ImageActions::resetImageAttribute),
            Map.entry("CreateVolume", StorageActions::createVolume),
            Map.entry("DescribeVolumes", StorageActions::describeVolumes),
            Map.entry("DeleteVolume", StorageActions::deleteVolume),
            Map.entry("CreateSnapshot", StorageActions::createSnapshot),
            Map.entry("DescribeSnapshots", StorageActions::describeSnapshots),
            Map.entry("DeleteSnapshot", StorageActions::deleteSnapshot),
            Map.entry("CopySnapshot", StorageActions::copySnapshot),
            Map.entry("DescribeSnapshotAttribute", StorageActions::describeSnapshotAttribute),
            Map.entry("ModifySnapshotAttribute", StorageActions::modifySnapshotAttribute),
            Map.entry("RunInstances", InstanceActions::runInstances),
            Map.entry("DescribeInstances", InstanceActions::describeInstances),
            Map.entry("StartInstances", InstanceActions::startInstances),
            Map.entry("StopInstances", InstanceActions::stopInstances),
            Map.entry("RebootInstances", InstanceActions::rebootInstances),
            Map.entry("TerminateInstances", InstanceActions::terminateInstances),
            Map.entry("GetConsoleOutput", InstanceActions::getConsoleOutput),
            Map.entry("GetConsoleScreenshot", InstanceActions::getConsoleScreenshot)));

    /** EC2 actions of the list that this endpoint names but does not implement yet. */
    private static final Set<String> NOT_IMPLEMENTED = Set.of("ResetSnapshotAttribute", "AttachVolume", "DetachVolume", "ImportImage",
            "ImportSnapshot", "CreateTags", "DeleteTags", "DescribeTags", "DescribeInstanceStatus", "DescribeInstanceTypes", "DescribeKeyPairs");

    private final Cloud cloud;
    private final EbsDirectApi uploads;

    /** The API over {@code cloud}; {@code uploads} (EBS direct) shows its uploads in progress in DescribeSnapshots. */
    public Ec2QueryApi(Cloud cloud, EbsDirectApi uploads) {
        this.cloud = cloud;
        this.uploads = uploads;
    }

    /** The names of the implemented actions, sorted. */
    public static Set<String> actions() {
        return ACTIONS.keySet();
    }

    /** The parameters of {@code request}: its query string and, for a form POST, its body. */
    public static Map<String, java.util.List<String>> parameters(ApiRequest request) {
        String type = request.header("Content-Type");
        boolean form = request.method().equals("POST") && request.bodyLength() > 0;
        if (form && type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            throw new ApiException(400, "InvalidParameterValue", "a POST to the EC2 Query API must have Content-Type "
                    + "application/x-www-form-urlencoded, not " + type);
        }
        return request.queryAndForm(form ? FormDecoder.decode(request.bodyText(), "form body") : Map.of());
    }

    /** Answers one request of {@code caller}; throws {@link ApiException} with EC2's error. */
    public ApiResponse handle(ApiRequest request, Caller caller, String requestId) {
        Ec2Params params = new Ec2Params(parameters(request));
        String action = params.get("Action");
        if (action == null || action.isEmpty()) {
            throw new ApiException(400, "MissingAction", "The request must contain the parameter Action");
        }
        Function<Ec2Call, XmlWriter> handler = ACTIONS.get(action);
        if (handler == null) {
            if (NOT_IMPLEMENTED.contains(action)) {
                throw new ApiException(400, "UnsupportedOperation", "The action " + action + " is not supported by amiforge "
                        + "(see docs/api.md)");
            }
            throw new ApiException(400, "InvalidAction", "The action " + action + " is not valid for this web service.");
        }
        String version = params.get("Version");
        if (version == null) {
            throw new ApiException(400, "MissingParameter", "The request must contain the parameter Version");
        }
        if (!VERSION.equals(version)) {
            throw new ApiException(400, "NoSuchVersion", "An invalid or out-of-range value '" + version
                    + "' was supplied for the Version parameter (this endpoint speaks " + VERSION + ")");
        }
        try {
            XmlWriter w = handler.apply(new Ec2Call(action, params, caller, cloud, uploads, requestId));
            return ApiResponse.text(200, "text/xml;charset=UTF-8", w.finish());
        } catch (AmiforgeException e) {
            throw Ec2Errors.of(e);
        }
    }
}
