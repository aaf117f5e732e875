//! The command line (see `zhucun-server --help`).
