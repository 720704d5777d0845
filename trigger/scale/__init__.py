"""Trigger studies at scale on Dask: the firmware model over large samples (`trigger-emulate`), rates and
efficiencies from its scores (`trigger-rate`), and design-space sweeps of compiles (`trigger-sweep`)."""
