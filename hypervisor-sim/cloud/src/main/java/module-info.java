/**
 * The cloud model in EC2's vocabulary: regions, zones, machine images and their launch
 * permissions, instances and their life cycle, and ec2-bundle-image bundles.
 */
module io.amiforge.cloud {
    requires transitive io.amiforge.boot;
    requires transitive io.amiforge.store;
    requires transitive io.amiforge.imagefmt;
    requires org.apache.commons.compress;
    requires com.fasterxml.jackson.databind;
    requires java.xml;

    exports io.amiforge.cloud;
    exports io.amiforge.cloud.bundle;
    exports io.amiforge.cloud.shape;

    opens io.amiforge.cloud to com.fasterxml.jackson.databind;
    opens io.amiforge.cloud.shape to com.fasterxml.jackson.databind;
}
