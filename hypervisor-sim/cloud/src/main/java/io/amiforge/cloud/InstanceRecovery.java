package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.StoreException;
import io.amiforge.store.TenantStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Ends instance operations that will never finish, so no instance stays {@code pending} or
 * {@code shutting-down} and no volume made for it is left behind. A launch that failed, or whose
 * process died (found when a region is first used by a {@link Cloud}: an {@link InFlight} whose
 * process is gone), releases the volumes it made (detached and deleted, its instance storage
 * removed) and ends {@code terminated}; an interrupted start keeps the volumes and ends
 * {@code stopped}, both with a state reason saying why ({@code Server.InternalError: ...}), as
 * EC2 reports a launch that failed. An interrupted terminate is finished: it is idempotent.
 */
final class InstanceRecovery {

    private final Cloud cloud;
    private final RegionRegistry registry;

    InstanceRecovery(Cloud cloud, RegionRegistry registry) {
        this.cloud = cloud;
        this.registry = registry;
    }

    /** Ends every pending or shutting-down instance of {@code region} whose process has died. */
    void recover(String region) {
        RegionState state = registry.load(region);
        for (Instance instance : state.instances()) {
            if (instance.state() != InstanceState.PENDING && instance.state() != InstanceState.SHUTTING_DOWN) {
                continue;
            }
            InFlight op = state.inFlight().stream().filter(f -> f.instanceId().equals(instance.instanceId()))
                    .findFirst().orElse(null);
            if (op != null && op.processAlive()) {
                continue;
            }
            if (instance.state() == InstanceState.SHUTTING_DOWN) {
                finishTermination(region, instance);
                continue;
            }
            String who = op == null ? "a process of an earlier amiforge" : "process " + op.pid();
            if (op != null && op.operation() == InFlight.Operation.START
                    || op == null && instance.rootDeviceType() == RootDeviceType.EBS) {
                endStart(region, instance, "Server.InternalError: the start was interrupted (" + who
                        + " ended before the instance was running); its volumes are kept");
            } else {
                endLaunch(region, instance, "Server.InternalError: the launch was interrupted (" + who
                        + " ended before the instance was running); its volumes were released");
            }
        }
    }

    /**
     * Ends a launch that will not finish: detaches and deletes each EBS volume made for it that
     * exists, removes its instance storage, and records it {@code terminated} with {@code reason}.
     */
    void endLaunch(String region, Instance instance, String reason) {
        TenantStore store = cloud.store(region, instance.ownerId());
        List<Instance.AttachedVolume> released = new ArrayList<>();
        for (Instance.AttachedVolume volume : instance.blockDeviceMappings()) {
            if (!volume.ephemeral() && !volume.deleted()) {
                deleteIfPresent(store, volume.volumeName());
            }
            released.add(volume.deleted() ? volume : volume.markDeleted());
        }
        DirectoryTrees.delete(registry.instanceStoreDir(region, instance.instanceId()));
        end(region, instance, i -> i.withVolumes(released).with(InstanceState.TERMINATED, reason));
    }

    /**
     * Terminates a {@code shutting-down} instance: instance-store volumes are gone, EBS volumes
     * are detached and deleted when their DeleteOnTermination is set; then {@code terminated},
     * keeping the shutdown's reason. Idempotent, so an interrupted termination is finished by
     * running it again.
     */
    Instance finishTermination(String region, Instance instance) {
        TenantStore store = cloud.store(region, instance.ownerId());
        List<Instance.AttachedVolume> after = new ArrayList<>();
        for (Instance.AttachedVolume volume : instance.blockDeviceMappings()) {
            if (volume.deleted()) {
                after.add(volume);
            } else if (volume.ephemeral()) {
                after.add(volume.markDeleted());
            } else if (volume.deleteOnTermination()) {
                deleteIfPresent(store, volume.volumeName());
                after.add(volume.markDeleted());
            } else {
                detachIfPresent(store, volume.volumeName()); // the volume may now be deleted or rolled back
                after.add(volume);
            }
        }
        DirectoryTrees.delete(registry.instanceStoreDir(region, instance.instanceId()));
        String id = instance.instanceId();
        return registry.mutate(region, state -> {
            Instance current = state.instance(id, instance.ownerId(), region);
            Instance ended = current.state() == InstanceState.TERMINATED ? current
                    : current.withVolumes(after).with(InstanceState.TERMINATED, current.stateTransitionReason());
            state.replace(ended);
            state.finish(id);
            return ended;
        });
    }

    /** Ends a start that will not finish: the instance is {@code stopped} again, with {@code reason}, its volumes kept. */
    void endStart(String region, Instance instance, String reason) {
        end(region, instance, i -> i.with(InstanceState.STOPPED, reason));
    }

    private void end(String region, Instance instance, java.util.function.UnaryOperator<Instance> change) {
        String id = instance.instanceId();
        registry.mutate(region, state -> {
            state.instances().stream().filter(i -> i.instanceId().equals(id) && i.state() == InstanceState.PENDING)
                    .findFirst().ifPresent(i -> state.replace(change.apply(i)));
            state.finish(id);
            return null;
        });
    }

    private static void deleteIfPresent(TenantStore store, String volumeName) {
        if (detachIfPresent(store, volumeName)) {
            store.deleteVolume(volumeName);
        }
    }

    /** Detaches the volume; false if it does not exist. */
    private static boolean detachIfPresent(TenantStore store, String volumeName) {
        try {
            store.attach(volumeName, null);
            return true;
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
            return false;
        }
    }
}
