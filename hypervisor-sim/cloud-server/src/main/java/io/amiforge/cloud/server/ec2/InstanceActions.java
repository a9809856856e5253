package io.amiforge.cloud.server.ec2;

import io.amiforge.boot.hvm.ScreenImage;
import io.amiforge.boot.hvm.TextFont;
import io.amiforge.cloud.Instance;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.shape.InstanceShape;
import io.amiforge.cloud.shape.ReservationShape;
import io.amiforge.cloud.shape.StateChangeShape;
import io.amiforge.cloud.shape.StateShape;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The instance actions: RunInstances, DescribeInstances, Start/Stop/Reboot/TerminateInstances
 * GetConsoleOutput (the serial console of the last boot, base64) and GetConsoleScreenshot (the
 * VGA text screen of the last HVM boot as a base64 JPEG, as EC2 sends it). Each instance is its own
 * reservation ({@code r-} and the instance id's digits) in DescribeInstances.
 */
final class InstanceActions {

    private static final Map<String, Function<Instance, List<String>>> FILTERS = Map.of(
            "instance-id", i -> List.of(i.instanceId()),
            "image-id", i -> List.of(i.imageId()),
            "instance-type", i -> List.of(i.instanceType()),
            "instance-state-name", i -> List.of(i.state().wireName()),
            "instance-state-code", i -> List.of(Integer.toString(i.state().code())),
            "availability-zone", i -> List.of(i.availabilityZone()),
            "root-device-type", i -> List.of(i.rootDeviceType().wireName()));

    private InstanceActions() {
    }

    static XmlWriter runInstances(Ec2Call call) {
        Ec2Params p = call.params();
        String image = Ids.image(p.required("ImageId"));
        int min = p.integer("MinCount", 1, 20, -1);
        int max = p.integer("MaxCount", 1, 20, -1);
        if (min < 0 || max < 0) {
            throw new ApiException(400, "MissingParameter", "The request must contain the parameters MinCount and MaxCount");
        }
        if (min > max) {
            throw new ApiException(400, "InvalidParameterValue", "MinCount " + min + " is greater than MaxCount " + max);
        }
        String type = p.get("InstanceType") == null ? "m1.small" : p.get("InstanceType");
        String zone = p.get("Placement.AvailabilityZone");
        call.dryRunStop();
        List<Instance> launched = new ArrayList<>();
        for (int n = 0; n < max; n++) {
            launched.add(call.cloud().runInstance(call.account(), call.region(), image, type, zone));
        }
        ReservationShape reservation = ReservationShape.of(launched, call.store());
        XmlWriter w = call.response().element("reservationId", reservation.reservationId())
                .element("ownerId", reservation.ownerId()).start("groupSet").end().start("instancesSet");
        reservation.instances().forEach(i -> instance(w, i));
        return w.end();
    }

    private static void instance(XmlWriter w, InstanceShape i) {
        w.start("item").element("instanceId", i.instanceId()).element("imageId", i.imageId());
        state(w, "instanceState", i.state());
        w.element("privateDnsName", i.privateDnsName()).element("dnsName", i.publicDnsName())
                .element("reason", i.stateTransitionReason()).element("amiLaunchIndex", i.amiLaunchIndex())
                .element("instanceType", i.instanceType()).element("launchTime", i.launchTime())
                .start("placement").element("availabilityZone", i.placement().availabilityZone())
                .element("groupName", i.placement().groupName()).element("tenancy", i.placement().tenancy()).end()
                .start("monitoring").element("state", i.monitoring().state()).end()
                .element("architecture", i.architecture())
                .element("rootDeviceType", i.rootDeviceType()).element("rootDeviceName", i.rootDeviceName())
                .start("blockDeviceMapping");
        for (InstanceShape.Device d : i.blockDeviceMappings()) {
            w.start("item").element("deviceName", d.deviceName()).start("ebs").element("volumeId", d.ebs().volumeId())
                    .element("status", d.ebs().status()).element("attachTime", d.ebs().attachTime())
                    .element("deleteOnTermination", d.ebs().deleteOnTermination()).end().end();
        }
        w.end().element("virtualizationType", i.virtualizationType()).element("hypervisor", i.hypervisor()).end();
    }

    private static void state(XmlWriter w, String element, StateShape state) {
        w.start(element).element("code", state.code()).element("name", state.name()).end();
    }

    static XmlWriter describeInstances(Ec2Call call) {
        Ec2Params p = call.params();
        List<String> ids = p.list("InstanceId");
        ids.forEach(Ids::instance);
        Map<String, List<String>> filters = p.filters();
        call.dryRunStop();
        List<Instance> instances;
        if (ids.isEmpty()) {
            instances = call.cloud().describeInstances(call.account(), call.region(), null);
        } else {
            instances = new ArrayList<>();
            for (String id : ids) {
                instances.addAll(call.cloud().describeInstances(call.account(), call.region(), id));
            }
        }
        instances = Pages.filter(instances, filters, FILTERS);
        Pages.Page<Instance> page = ids.isEmpty() ? Pages.page(instances, p, 5, 1000) : new Pages.Page<>(instances, null);
        XmlWriter w = call.response().start("reservationSet");
        for (ReservationShape r : ReservationShape.eachOf(page.items(), call.store())) {
            w.start("item").element("reservationId", r.reservationId()).element("ownerId", r.ownerId())
                    .start("groupSet").end().start("instancesSet");
            r.instances().forEach(i -> instance(w, i));
            w.end().end();
        }
        return w.end().element("nextToken", page.nextToken());
    }

    /** One of Start/Stop/Reboot/TerminateInstances over {@code InstanceId.N}. */
    private interface Change {
        Instance apply(Ec2Call call, String instanceId);
    }

    private static XmlWriter change(Ec2Call call, Change change, boolean answerStates) {
        List<String> ids = call.params().list("InstanceId");
        if (ids.isEmpty()) {
            throw new ApiException(400, "MissingParameter", "The request must contain the parameter InstanceId");
        }
        ids.forEach(Ids::instance);
        call.dryRunStop();
        List<Instance[]> changed = new ArrayList<>();
        for (String id : ids) {
            Instance before = call.cloud().describeInstances(call.account(), call.region(), id).getFirst();
            changed.add(new Instance[] {before, change.apply(call, id)});
        }
        if (!answerStates) {
            return call.ok();
        }
        XmlWriter w = call.response().start("instancesSet");
        for (Instance[] pair : changed) {
            StateChangeShape c = StateChangeShape.of(pair[0], pair[1]);
            w.start("item").element("instanceId", c.instanceId());
            state(w, "currentState", c.currentState());
            state(w, "previousState", c.previousState());
            w.end();
        }
        return w.end();
    }

    static XmlWriter startInstances(Ec2Call call) {
        return change(call, (c, id) -> c.cloud().startInstance(c.account(), c.region(), id), true);
    }

    static XmlWriter stopInstances(Ec2Call call) {
        return change(call, (c, id) -> c.cloud().stopInstance(c.account(), c.region(), id), true);
    }

    static XmlWriter rebootInstances(Ec2Call call) {
        return change(call, (c, id) -> c.cloud().rebootInstance(c.account(), c.region(), id), false);
    }

    static XmlWriter terminateInstances(Ec2Call call) {
        return change(call, (c, id) -> c.cloud().terminateInstance(c.account(), c.region(), id), true);
    }

    static XmlWriter getConsoleOutput(Ec2Call call) {
        String id = Ids.instance(call.params().required("InstanceId"));
        call.dryRunStop();
        String console = call.cloud().console(call.account(), call.region(), id);
        return call.response().element("instanceId", id).element("timestamp", Instant.now().toString())
                .element("output", Base64.getEncoder().encodeToString(console.getBytes(StandardCharsets.UTF_8)));
    }

    static XmlWriter getConsoleScreenshot(Ec2Call call) {
        String id = Ids.instance(call.params().required("InstanceId"));
        call.dryRunStop();
        var screen = call.cloud().consoleScreen(call.account(), call.region(), id).orElseThrow(() -> new ApiException(400,
                "UnsupportedOperation", "The instance " + id + " has no console screen: it has not booted, or it boots"
                        + " paravirtual (a PV instance has no VGA screen)"));
        byte[] jpeg = Renderer.INSTANCE.encode(screen, "jpg");
        return call.response().element("imageData", Base64.getEncoder().encodeToString(jpeg)).element("instanceId", id);
    }

    /** The screen renderer, its font drawn once on first use. */
    private static final class Renderer {
        static final ScreenImage INSTANCE = new ScreenImage(TextFont.generate());
    }
}
