/**
 * Test support shared by every module: the {@code BlockDevice} contract test that every
 * implementation runs, {@code Interop} (outside tools and fixtures: skip with a message, or fail
 * under {@code AMIFORGE_REQUIRE_INTEROP=1}), and process helpers.
 */
package io.amiforge.testkit;
