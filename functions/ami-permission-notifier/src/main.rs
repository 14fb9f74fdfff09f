#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::runtime::main::<ami_permission_notifier::App>().await
}
