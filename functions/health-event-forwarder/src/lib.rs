//! Turns AWS Health events into readable, filtered notifications.
