#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| watchkeeper_fuzz::ec2_state_change(data));
