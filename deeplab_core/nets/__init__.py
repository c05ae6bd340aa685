"""The networks: torchvision's DeepLabv3 loaded, re-wired, probed, measured and run fast; checkpoints, devices."""
