"""The bridge's HTTP face: one blueprint module per feature, each exposing `bp`."""
