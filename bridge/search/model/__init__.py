"""all-MiniLM-L6-v2 on ONNX Runtime: its graph (committed here, without weights), its checksummed weights, its session."""
