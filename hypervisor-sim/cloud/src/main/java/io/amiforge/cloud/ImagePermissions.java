package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.StoreException;
import java.util.List;

/**
 * Who may do what with an image: the owner alone changes its launch permissions; an account may
 * use an image's snapshots on its own authority or, for snapshots the image's owner owns, on the
 * owner's ({@link #authority}).
 */
final class ImagePermissions {

    private final Cloud cloud;
    private final RegionRegistry registry;

    ImagePermissions(Cloud cloud, RegionRegistry registry) {
        this.cloud = cloud;
        this.registry = registry;
    }

    /**
     * The account on whose authority {@code caller} may use {@code snapshotId}, a snapshot of an
     * image it may launch: itself if it owns the snapshot or the snapshot is shared with it, else
     * the image's owner if that account owns the snapshot (sharing an image shares its owner's
     * data). An image registered from a snapshot shared with its owner does not pass that share
     * on: {@code UnauthorizedOperation}.
     */
    AccountId authority(String region, MachineImage image, String caller, String snapshotId) {
        SnapshotInfo snapshot;
        try {
            cloud.store(region, caller).snapshot(snapshotId);
            return AccountId.of(caller);
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
        try {
            snapshot = cloud.store(region, image.ownerId()).snapshot(snapshotId);
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
            snapshot = null;
        }
        if (snapshot == null || !snapshot.ownerId().equals(image.ownerId())) {
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation", "account " + caller
                    + " is not authorized to use snapshot " + snapshotId + " of image " + image.imageId()
                    + " (it is not shared with the account, and the image's owner does not own it)");
        }
        return AccountId.of(image.ownerId());
    }

    /** The image if {@code caller} owns it; UnauthorizedOperation if it can see but not own it, else NotFound. */
    static MachineImage owned(RegionState state, String imageId, String caller, String region, String action) {
        MachineImage image = state.image(imageId, region);
        if (!image.ownerId().equals(caller)) {
            if (!image.launchableBy(caller)) {
                throw RegionState.imageNotFound(imageId, region);
            }
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation",
                    "account " + caller + " is not authorized to " + action + " " + imageId + " (owner " + image.ownerId() + ")");
        }
        return image;
    }

    /** Adds and removes launch permissions (account ids or {@code all}); only the owner may. */
    MachineImage modify(String caller, String region, String imageId, List<String> add, List<String> remove) {
        return registry.mutate(region, state -> {
            MachineImage image = owned(state, imageId, caller, region, "modify launch permissions of");
            LaunchPermissions permissions = image.launchPermissions();
            for (String who : add) {
                permissions = permissions.add(checkPrincipal(who));
            }
            for (String who : remove) {
                permissions = permissions.remove(checkPrincipal(who));
            }
            MachineImage updated = image.withLaunchPermissions(permissions);
            state.replace(updated);
            return updated;
        });
    }

    /** Makes the image private again: only the owner may launch it. */
    MachineImage reset(String caller, String region, String imageId) {
        return registry.mutate(region, state -> {
            MachineImage image = owned(state, imageId, caller, region, "reset launch permissions of");
            MachineImage updated = image.withLaunchPermissions(LaunchPermissions.NONE);
            state.replace(updated);
            return updated;
        });
    }

    private static String checkPrincipal(String who) {
        if (!who.equals("all") && !who.matches("\\d{12}")) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue",
                    "launch permission '" + who + "' is neither a 12-digit account id nor 'all'");
        }
        return who;
    }
}
