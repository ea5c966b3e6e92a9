"""Where recommendation candidates come from: each source adds products with its reason."""
