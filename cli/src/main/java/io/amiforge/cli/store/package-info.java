/**
 * The {@code volume}, {@code snapshot} and {@code store} commands over the snapshot store
 * ({@link io.amiforge.cli.store.StoreAccess} decides where it lives).
 */
package io.amiforge.cli.store;
