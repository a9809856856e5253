package io.amiforge.cli.cloud;

import io.amiforge.cloud.Instance;

/** How an instance prints as text: one line (its JSON is {@link io.amiforge.cloud.shape.InstanceShape}). */
final class InstanceView {

    private InstanceView() {
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
