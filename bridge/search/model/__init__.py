"""all-MiniLM-L6-v2 on OpenVINO: its checksummed weights, the graph built from them, its compiled model."""
