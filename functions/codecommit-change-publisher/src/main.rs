#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::runtime::main::<codecommit_change_publisher::App>().await
}
