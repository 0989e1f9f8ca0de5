package io.attest402.enclave.tee;

import io.attest402.verifier.Quote;

/**
 * What the hardware backends ({@link GramineBackend}, {@link TdxBackend}) share: they are never
 * simulated, they serialise the write-report-data / read-quote exchange with their device files on
 * {@link #lock}, and their measurement is taken from the first quote they produce (or one over zero
 * report data).
 */
abstract class DeviceBackend implements TeeBackend {
  /** Two threads of ours must not interleave the write of report data and the read of the quote. */
  final Object lock = new Object();

  private volatile Measurement measurement;

  @Override
  public final boolean simulated() {
    return false;
  }

  /** Keeps the measurement of {@code q} when none is known yet. Call with {@link #lock} held. */
  final void remember(Quote q) {
    if (measurement == null) {
      measurement = Measurement.of(q);
    }
  }

  @Override
  public final Measurement measurement() throws TeeException {
    Measurement m = measurement;
    if (m == null) {
      quote(new byte[64]);
      m = measurement;
    }
    return m;
  }
}
