/** The {@code amiforge} command line (picocli): the only place that knows exit codes. */
module io.amiforge.cli {
    requires io.amiforge.cloud;
    requires io.amiforge.transfer;
    requires io.amiforge.store.s3;
    requires io.amiforge.nbd;
    requires io.amiforge.bench.sweep;
    requires io.amiforge.cloud.server;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires com.fasterxml.jackson.databind;

    opens io.amiforge.cli to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.ami to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.common to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.bench to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.boot to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.cloud to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.demo to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.fs to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.image to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.nbd to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.serve to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.store to info.picocli, com.fasterxml.jackson.databind;
    opens io.amiforge.cli.reference to info.picocli, com.fasterxml.jackson.databind;
}
