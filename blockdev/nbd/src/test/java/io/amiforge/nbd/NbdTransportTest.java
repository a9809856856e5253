package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The transport: native epoll where its library loads (the module ships it for Linux x86_64),
 * NIO when asked ({@code amiforge.nbd.transport=nio}) or elsewhere, the same bytes on both; an
 * unknown value is refused by name.
 */
class NbdTransportTest {

    @AfterEach
    void clear() {
        System.clearProperty("amiforge.nbd.transport");
    }

    @Test
    void onLinuxX8664TheDefaultIsEpoll() {
        boolean linuxX64 = System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").matches("amd64|x86_64");
        try (MemoryBlockDevice device = new MemoryBlockDevice("t", 1 << 20);
                NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("t", device, false, null).build()) {
            server.start();
            assertThat(server.transport()).isEqualTo(linuxX64 ? "epoll" : "nio");
        }
    }

    @Test
    void bothTransportsServeTheSameBytes() throws Exception {
        for (String transport : new String[] {"nio", "epoll"}) {
            System.setProperty("amiforge.nbd.transport", transport);
            byte[] data = NbdServerTest.fill(300_000, transport.length());
            try (MemoryBlockDevice device = new MemoryBlockDevice("t", 1 << 20);
                    NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("t", device, false, null)
                            .build();
                    NbdTestClient c = new NbdTestClient(server.start())) {
                assertThat(server.transport()).isEqualTo(transport);
                c.go("t", false, false);
                c.request(1, 0, 1, 4096, data.length, data);
                assertThat(c.reply(0).error()).isZero();
                c.request(0, 0, 2, 4096, data.length, null); // streamed through the stage
                assertThat(c.reply(data.length).payload()).isEqualTo(data);
                c.request(0, 0, 3, 4096, 512, null); // inline
                assertThat(c.reply(512).payload()).isEqualTo(java.util.Arrays.copyOf(data, 512));
                byte[] stored = new byte[data.length];
                device.read(4096, MemorySegment.ofArray(stored));
                assertThat(stored).isEqualTo(data);
            }
        }
    }

    @Test
    void anUnknownTransportIsRefusedByName() {
        System.setProperty("amiforge.nbd.transport", "uring");
        try (MemoryBlockDevice device = new MemoryBlockDevice("t", 1 << 20);
                NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("t", device, false, null).build()) {
            assertThatThrownBy(server::start).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("amiforge.nbd.transport is 'uring'");
        }
    }
}
