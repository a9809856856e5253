/**
 * The cloud model in EC2's vocabulary: {@link io.amiforge.cloud.Cloud} (the facade), regions
 * and zones, instance types, machine images and launch permissions, instances and their life
 * cycle per root-device type, cross-region copy. See {@code docs/cloud.md}.
 */
package io.amiforge.cloud;
