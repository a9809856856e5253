package io.amiforge.cli.cloud;

import io.amiforge.cloud.Instance;
import java.util.LinkedHashMap;
import java.util.Map;

/** How an instance prints: the contract's {@code {instanceId, state, boot}} and a one-line text form. */
final class InstanceView {

    private InstanceView() {
    }

    static Map<String, Object> json(Instance instance) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("instanceId", instance.instanceId());
        json.put("state", instance.state().wireName());
        json.put("availabilityZone", instance.availabilityZone());
        json.put("boot", instance.lastBoot());
        return json;
    }

    static String text(Instance instance) {
        StringBuilder text = new StringBuilder();
        text.append(instance.instanceId()).append("  ").append(instance.state().wireName()).append("  ")
                .append(instance.instanceType()).append("  ").append(instance.availabilityZone()).append("  ")
                .append(instance.imageId());
        if (instance.lastBoot() != null) {
            text.append("  boot: ").append(instance.lastBoot().result());
            if (instance.lastBoot().kernel() != null) {
                text.append(" (").append(instance.lastBoot().kernel()).append(')');
            }
            if (instance.lastBoot().error() != null) {
                text.append(" - ").append(instance.lastBoot().error());
            }
        }
        return text.toString();
    }
}
