//! Shared fixtures for the benches (issue 5): work in progress.
