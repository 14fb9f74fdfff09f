#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::runtime::main::<idle_emr_terminator::App>().await
}
