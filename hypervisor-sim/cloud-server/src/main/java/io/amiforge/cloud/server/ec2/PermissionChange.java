package io.amiforge.cloud.server.ec2;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The accounts and groups a Modify*Attribute call adds and removes, read from EC2's two forms:
 * {@code PREFIX.Add.N.UserId|Group} / {@code PREFIX.Remove.N...}, and {@code OperationType} with
 * {@code UserId.N} / {@code UserGroup.N}. Each group name passes through {@code group} (which
 * may refuse it).
 */
record PermissionChange(List<String> add, List<String> remove) {

    static PermissionChange of(Ec2Params p, String prefix, UnaryOperator<String> group) {
        List<String> add = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        collect(p, prefix + ".Add", group, add);
        collect(p, prefix + ".Remove", group, remove);
        String operation = p.get("OperationType");
        if (operation != null) {
            List<String> target = switch (operation) {
                case "add" -> add;
                case "remove" -> remove;
                default -> throw Ec2Params.invalid("OperationType", operation, "add or remove");
            };
            target.addAll(p.list("UserId"));
            p.list("UserGroup").forEach(g -> target.add(group.apply(g)));
        }
        return new PermissionChange(add, remove);
    }

    boolean isEmpty() {
        return add.isEmpty() && remove.isEmpty();
    }

    private static void collect(Ec2Params p, String prefix, UnaryOperator<String> group, List<String> into) {
        for (Map<String, String> m : p.members(prefix).values()) {
            if (m.get("UserId") != null) {
                into.add(m.get("UserId"));
            }
            if (m.get("Group") != null) {
                into.add(group.apply(m.get("Group")));
            }
        }
    }
}
