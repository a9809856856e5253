package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.TreeSet;

/**
 * Who besides the owner may launch an image: listed accounts, and everyone when {@code group}
 * {@code all} is set (a public image). The owner's permission is implicit and never listed.
 */
public record LaunchPermissions(@JsonProperty("UserIds") List<String> userIds, @JsonProperty("Public") boolean isPublic) {

    public static final LaunchPermissions NONE = new LaunchPermissions(List.of(), false);

    public LaunchPermissions {
        userIds = userIds == null ? List.of() : List.copyOf(new TreeSet<>(userIds));
    }

    public boolean allows(String account) {
        return isPublic || userIds.contains(account);
    }

    public LaunchPermissions add(String accountOrAll) {
        if (accountOrAll.equals("all")) {
            return new LaunchPermissions(userIds, true);
        }
        TreeSet<String> ids = new TreeSet<>(userIds);
        ids.add(accountOrAll);
        return new LaunchPermissions(List.copyOf(ids), isPublic);
    }

    public LaunchPermissions remove(String accountOrAll) {
        if (accountOrAll.equals("all")) {
            return new LaunchPermissions(userIds, false);
        }
        TreeSet<String> ids = new TreeSet<>(userIds);
        ids.remove(accountOrAll);
        return new LaunchPermissions(List.copyOf(ids), isPublic);
    }
}
