"""Device simulators: the device side of each wire protocol, reachable as sim://KIND, on a pty or TCP."""
