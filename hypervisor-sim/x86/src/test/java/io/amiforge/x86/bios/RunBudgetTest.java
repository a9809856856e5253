package io.amiforge.x86.bios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RunBudgetTest {

    @Test
    void slicesAreAtMostOneSliceAndNeverPassTheBudget() {
        RunBudget b = new RunBudget(RunBudget.SLICE + 10, Duration.ofHours(1));
        assertThat(b.nextSlice(0)).isEqualTo(RunBudget.SLICE);
        assertThat(b.nextSlice(RunBudget.SLICE)).isEqualTo(10);
        assertThat(b.state()).isEqualTo(RunBudget.State.RUNNING);
        assertThat(b.nextSlice(RunBudget.SLICE + 10)).isZero();
        assertThat(b.state()).isEqualTo(RunBudget.State.INSTRUCTIONS_SPENT);
        assertThat(b.nextSlice(0)).as("a spent budget stays spent").isZero();
    }

    @Test
    void aPassedWallClockEndsTheRunAndStaysThere() {
        RunBudget b = new RunBudget(1_000, Duration.ofNanos(1));
        b.start();
        assertThat(b.checkClock()).isTrue();
        assertThat(b.state()).isEqualTo(RunBudget.State.TIME_UP);
        assertThat(b.nextSlice(0)).isZero();
        assertThat(new RunBudget(1_000, Duration.ofHours(1)).checkClock()).isFalse();
    }

    @Test
    void refusesAnEmptyBudgetAndANonPositiveTimeLimit() {
        assertThatThrownBy(() -> new RunBudget(0, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1, was 0");
        assertThatThrownBy(() -> new RunBudget(1, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be positive, was PT-1S");
    }
}
