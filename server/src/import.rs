//! Importing township data.
