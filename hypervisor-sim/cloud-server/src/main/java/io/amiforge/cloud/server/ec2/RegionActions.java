package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.Region;
import java.util.List;

/** DescribeRegions and DescribeAvailabilityZones, from the cloud's region table. */
final class RegionActions {

    private RegionActions() {
    }

    static XmlWriter describeRegions(Ec2Call call) {
        List<String> names = call.params().list("RegionName");
        names.forEach(Region::named);
        call.dryRunStop();
        XmlWriter w = call.response().start("regionInfo");
        for (Region r : Region.all()) {
            if (names.isEmpty() || names.contains(r.name())) {
                w.start("item").element("regionName", r.name()).element("regionEndpoint", "ec2." + r.name() + ".amazonaws.com")
                        .element("optInStatus", "opt-in-not-required").end();
            }
        }
        return w.end();
    }

    static XmlWriter describeAvailabilityZones(Ec2Call call) {
        List<String> names = call.params().list("ZoneName");
        Region region = Region.named(call.region());
        names.forEach(region::zone);
        call.dryRunStop();
        XmlWriter w = call.response().start("availabilityZoneInfo");
        for (int i = 0; i < region.zones().size(); i++) {
            String zone = region.zones().get(i);
            if (names.isEmpty() || names.contains(zone)) {
                w.start("item").element("zoneName", zone).element("zoneState", "available").element("regionName", region.name())
                        .element("zoneId", region.name().replace("-", "").substring(0, 4) + "-az" + (i + 1))
                        .element("zoneType", "availability-zone").element("optInStatus", "opt-in-not-required")
                        .start("messageSet").end().end();
            }
        }
        return w.end();
    }
}
