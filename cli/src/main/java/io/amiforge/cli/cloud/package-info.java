/**
 * The cloud commands: {@code ami register/import-image/describe/launch-permission/copy/deregister/create-image}
 * and {@code instance run/stop/start/reboot/terminate/describe/console}.
 */
package io.amiforge.cli.cloud;
