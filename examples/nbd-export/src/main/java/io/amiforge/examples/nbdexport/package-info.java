/**
 * Serving a custom device over NBD: {@link io.amiforge.examples.nbdexport.StripeDevice}
 * computes its content instead of storing it, and
 * {@link io.amiforge.examples.nbdexport.NbdExportExample} exports it with amiforge's
 * {@link io.amiforge.nbd.NbdServer}.
 */
package io.amiforge.examples.nbdexport;
