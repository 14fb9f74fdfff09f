#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::runtime::main::<health_event_forwarder::App>().await
}
