//! mlegit reference server (issue 6): work in progress.
