package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The journal thread's wait, from {@code amiforge.journal.wait}: phased by default, blocking on request, nothing else. */
class JournalWaitTest {

    @AfterEach
    void clear() {
        System.clearProperty("amiforge.journal.wait");
    }

    @Test
    void phasedByDefaultAndBlockingOnRequest() {
        assertThat(Journal.waitStrategy()).isInstanceOf(PhasedBackoffWaitStrategy.class);
        System.setProperty("amiforge.journal.wait", "blocking");
        assertThat(Journal.waitStrategy()).isInstanceOf(BlockingWaitStrategy.class);
    }

    @Test
    void anUnknownValueIsRefusedByName() {
        System.setProperty("amiforge.journal.wait", "busy");
        assertThatThrownBy(Journal::waitStrategy).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("amiforge.journal.wait=busy");
    }
}
