"""Bad input, faults and a hostile store: each case the product promises (docs/robustness.md)."""
