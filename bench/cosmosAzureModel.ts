// The Azure model lives in test support (pure, and unit-tested there); the benchmarks use it from here.
export * from '../test/support/azureCost';
