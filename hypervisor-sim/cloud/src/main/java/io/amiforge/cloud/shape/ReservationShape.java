package io.amiforge.cloud.shape;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.amiforge.cloud.Instance;
import io.amiforge.store.TenantStore;
import io.amiforge.store.VolumeInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EC2's {@code Reservation}: an item of DescribeInstances' {@code Reservations}, and the whole
 * answer of RunInstances. amiforge has no security groups ({@code Groups} is empty); an
 * instance's reservation id is {@code r-} and the instance id's digits, the one launched first
 * naming a RunInstances reservation of several.
 */
@JsonPropertyOrder({"Groups", "Instances", "OwnerId", "ReservationId"})
public record ReservationShape(@JsonProperty("ReservationId") String reservationId,
                               @JsonProperty("OwnerId") String ownerId,
                               @JsonProperty("Groups") List<Object> groups,
                               @JsonProperty("Instances") List<InstanceShape> instances) {

    /** The reservation of {@code launched} (in launch order, at least one), as their owner sees it in {@code store}. */
    public static ReservationShape of(List<Instance> launched, TenantStore store) {
        if (launched.isEmpty()) {
            throw new IllegalArgumentException("a reservation holds at least one instance");
        }
        Map<String, String> volumeIds = volumeIds(store);
        List<InstanceShape> shapes = new ArrayList<>();
        for (int n = 0; n < launched.size(); n++) {
            shapes.add(InstanceShape.of(launched.get(n), n, volumeIds));
        }
        Instance first = launched.getFirst();
        return new ReservationShape(reservationId(first.instanceId()), first.ownerId(), List.of(), List.copyOf(shapes));
    }

    /** One reservation per instance, as DescribeInstances shows them. */
    public static List<ReservationShape> eachOf(List<Instance> instances, TenantStore store) {
        Map<String, String> volumeIds = volumeIds(store);
        return instances.stream().map(i -> new ReservationShape(reservationId(i.instanceId()), i.ownerId(), List.of(),
                List.of(InstanceShape.of(i, 0, volumeIds)))).toList();
    }

    /** The reservation id of the instance {@code instanceId} ({@code i-X} is in {@code r-X}). */
    public static String reservationId(String instanceId) {
        return "r-" + instanceId.substring("i-".length());
    }

    /** Store volume name to {@code vol-} id, for the caller's volumes in {@code store}. */
    public static Map<String, String> volumeIds(TenantStore store) {
        Map<String, String> ids = new HashMap<>();
        for (VolumeInfo v : store.listVolumes()) {
            ids.put(v.name(), v.id());
        }
        return ids;
    }
}
